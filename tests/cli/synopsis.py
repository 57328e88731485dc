"""
Every program's options, three ways, kept in sync (as curl's test 1139
does): what the source takes (its getopt_long tables), what -h shows,
and what its man page shows in the SYNOPSIS and describes under OPTIONS.
A long option that stands for a short one counts as it. Prints TAP.

    synopsis.py TOP BIN
"""
import re, subprocess, sys, os
top, bindir = sys.argv[1], sys.argv[2]
progs = ["phi-scrub","phi-restore","guard-check","ledger-append","ledger-verify","ledger-admin","hitl","trace-export","llm-call"]
def alias_map(prog):
    s = open(os.path.join(top,"cmd",prog+".c")).read()
    return {"--help": "-h", "--version": "-V"} | {"--"+m.group(1): "-"+m.group(2) for m in re.finditer(r'\{\s*"([a-z][\w-]*)",\s*\w+_argument,\s*NULL,\s*\'(.)\'\s*\}', s)} | ({"--jobs":"-j"} if "FOPTS_JOBS" in s else {})
def norm(opts, al):
    return {al.get(o,o) for o in opts}
def fl(text):
    out=set()
    for m in re.finditer(r'\bFl\s+(\\-)?([A-Za-z0-9][\w\\-]*)', text):
        t=m.group(2).replace("\\-","-")
        if m.group(1): out.add("--"+t)
        elif len(t)>1 and t.isalpha(): out |= {"-"+c for c in t}
        else: out.add("-"+t)
    return out
def man_sets(path):
    src = open(path).read()
    syn = src[src.index(".Sh SYNOPSIS"):src.index(".Sh DESCRIPTION")]
    i = src.index(".Sh OPTIONS") if ".Sh OPTIONS" in src else -1
    sec = src[i:src.index("\n.Sh ", i+5)] if i >= 0 else ""
    its=set()
    for line in sec.splitlines():
        if line.startswith(".It"): its |= fl(line)
    return fl(syn), its
def usage_set(prog):
    u = subprocess.run([os.path.join(bindir,prog),"-h"],capture_output=True,text=True).stdout
    out=set()
    for m in re.finditer(r'(?<![\w-])(--?[A-Za-z][\w-]*)', u):
        t=m.group(1)
        if t.startswith("--") or len(t)==2: out.add(t)
        else: out |= {"-"+c for c in t[1:]}
    return out
def src_set(prog):
    s = open(os.path.join(top,"cmd",prog+".c")).read()
    out={"--"+m.group(1) for m in re.finditer(r'\{\s*"([a-z][\w-]*)",\s*(?:no|required|optional)_argument', s)}
    if "FOPTS_LONG" in s: out |= {"--on-error","--max-line"}
    if "FOPTS_JOBS" in s: out.add("--jobs")
    for m in re.finditer(r'getopt_long\(argc, argv, "([^"]*)"', s):
        out |= {"-"+c for c in m.group(1) if c != ':'}
    # -h and -V taken before getopt, as the first argument (hitl, ledger-admin)
    for o in ("-h","-V","--help","--version"):
        if '"%s"' % o in s: out.add(o)
    return out
print("1..%d" % len(progs))
bad = 0
for n, p in enumerate(progs, 1):
    al = alias_map(p)
    syn, its = man_sets(os.path.join(top, "man", p + ".1"))
    syn, its, us, sr = norm(syn, al), norm(its, al), norm(usage_set(p), al), norm(src_set(p), al)
    why = []
    for name, a, b in [("takes, but -h does not show", sr, us),
                       ("-h shows, but it does not take", us, sr),
                       ("-h shows, the SYNOPSIS does not", us, syn),
                       ("the SYNOPSIS shows, -h does not", syn, us),
                       ("the SYNOPSIS shows, OPTIONS does not describe", syn, its),
                       ("OPTIONS describes, the SYNOPSIS does not show", its, syn)]:
        d = sorted(a - b)
        if d:
            why.append("%s: %s" % (name, " ".join(d)))
    print("%s %d - %s: its source, -h, SYNOPSIS and OPTIONS name the same options" %
          ("not ok" if why else "ok", n, p))
    for w in why:
        print("#   " + w)
    bad |= bool(why)
sys.exit(1 if bad else 0)
