#!/usr/bin/env python3
"""The examples of README.md and the man pages, extracted and run as
printed; tests/cli/examples.t sets the stage and states the conventions.

    examples.py users PAGE...   the doc users the pages run commands as:
                                "NAME GROUP..." a line (groups from
                                tests/cli/examples/users)
    examples.py run PAGE...     TAP, one test per command

`run` reads EX_TOP (the source tree), EX_SCRATCH (where to make a
scratch directory per page or README section), EX_PATH (PATH for the
commands), EX_LLM (PHIKIT_LLM_ENDPOINT for them), EX_AS (1 when commands
may run as the doc users), EX_TIMEOUT (seconds a command may take) and
EX_SHOW (1: print every command's output)."""
import fcntl, os, pwd, re, select, shutil, signal, struct, subprocess, sys, termios, time

PREFIX = "phkt-"          # doc user NAME runs as the Unix user phkt-NAME

# ---- extraction -------------------------------------------------------

MDOC = {r"\e": "\\", r"\-": "-", r"\(aq": "'", r"\(dq": '"', r"\&": "", r"\(em": "\u2014",
        r"\(en": "\u2013", r"\(ga": "`", r"\(ti": "~", r"\(ha": "^", r"\(lq": "\u201c",
        r"\(rq": "\u201d", r"\(at": "@", r"\(ba": "|", r"\(rs": "\\", r"\ ": " ", r"\|": "",
        r"\^": "", r"\0": " ", r"\(lB": "[", r"\(rB": "]", r"\(la": "<", r"\(ra": ">"}
MDOC_RE = re.compile("|".join(re.escape(k) for k in sorted(MDOC, key=len, reverse=True)))


def blocks(path):
    """(section, [(line number, text)...]) of each block; in Markdown a
    section starts at each heading of level 1 or 2, a man page is one."""
    lines = open(path, encoding="utf-8").read().split("\n")
    out, cur, section, fence = [], None, 0, False
    man = not path.endswith(".md")
    for i, l in enumerate(lines, 1):
        if not man and l.startswith("```"):
            fence = not fence
        if cur is None:
            if (man and l.startswith(".Bd -literal")) or \
                    (not man and fence and re.match(r"```(sh|shell|console|bash)\s*$", l)):
                cur = []
            elif not man and not fence and re.match(r"##? ", l):
                section += 1
        elif (man and l.startswith(".Ed")) or (not man and not fence):
            out.append((section, cur))
            cur = None
        elif man:
            if not l.startswith((".", "'")):        # a macro line is no text
                cur.append((i, MDOC_RE.sub(lambda m: MDOC[m.group()], l)))
        else:
            cur.append((i, l))
    return out


def incomplete(text):
    """Whether text needs more lines to be a whole bash command."""
    t = text.rstrip()
    if t.endswith(("|", "\\", "&&", "||")):
        return True
    r = subprocess.run(["bash", "-n"], input=text + "\n", capture_output=True, text=True)
    return "unexpected end of file" in r.stderr or "unexpected EOF" in r.stderr or \
        "delimited by end-of-file" in r.stderr


AS_RE = re.compile(r"#\s*as\s+([a-z_][a-z0-9_.-]*)\s*$", re.M)


def examples(path):
    """Each command of a page: dict(line, cmd, want, user, shows_status, section)."""
    out = []
    for section, body in blocks(path):
        i, cmds = 0, []
        while i < len(body):
            n, l = body[i]
            if not l.startswith("$ "):
                i += 1
                continue
            cmd, i = l[2:], i + 1
            while incomplete(cmd) and i < len(body) and not body[i][1].startswith("$ "):
                cmd, i = cmd + "\n" + body[i][1], i + 1
            want = []
            while i < len(body) and not body[i][1].startswith("$ "):
                want.append(body[i][1])
                i += 1
            m = AS_RE.search(cmd)
            cmds.append(dict(line=n, cmd=cmd, want="\n".join(want).strip("\n"),
                             user=m.group(1) if m else None, shows_status=False,
                             section=section))
        for a, b in zip(cmds, cmds[1:]):        # `$ echo $?` next: a's status is shown
            a["shows_status"] = bool(re.match(r"echo \$\?", b["cmd"]))
        out += cmds
    return out


def doc_users(pages, top):
    """{doc user: [groups]}: tests/cli/examples/users, and every `# as` name."""
    users = {}
    f = os.path.join(top, "tests/cli/examples/users")
    for l in open(f, encoding="utf-8") if os.path.exists(f) else []:
        w = l.split("#")[0].split()
        if w:
            users[w[0]] = w[1:]
    for p in pages:
        for ex in examples(os.path.join(top, p)):
            if ex["user"] and ex["user"] != "root":
                users.setdefault(ex["user"], [])
    return users


# ---- comparison -------------------------------------------------------

# Values that differ from run to run become placeholders, on both sides:
# «TIME» and the like stand for any value; «HEX:v» and the like keep theirs,
# so that a value a page shows twice must be one value twice (a key id in
# two messages, a leaf hash printed two ways), and two it shows different
# must differ.
L, R = "«", "»"   # the placeholders' brackets, in no page or output
NORM = [(re.compile(p), r) for p, r in [
    (r"\x1b\[[0-9;?]*[A-Za-z]", ""),                                 # colour (jq on a terminal)
    (r"\r", ""),
    (r"(?<![\w.-])" + PREFIX, ""),                                   # phkt-dr-smith is dr-smith
    (r"\u2026", "..."),
    (r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:?\d\d)?", "«TIME»"),
    (r"\b\d{4}-\d\d-\d\d\b", "«DATE»"),
    (r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b", r"«UUID:\g<0>»"),
    (r"\b[0-9a-f]{2,}\.\.\.[0-9a-f]{2,}\b", "«HEX»"),                # 8ebf...2d40
    (r"\b[0-9a-f]{16,}\b", r"«HEX:\g<0>»"),
    (r"\b([A-Za-z0-9._-]+)\+([0-9a-f]{8})\+([A-Za-z0-9+/]{40,}={0,2})",  # a verifier key
     r"\1+«KEYID:\2»+«BASE64:\3»"),
    (r"\b([A-Za-z0-9._-]+)\+([0-9a-f]{8})\b", r"\1+«KEYID:\2»"),     # audit-key+556433d2
    (r"(?<![A-Za-z0-9+/:])[A-Za-z0-9+/]{40,}={0,2}", r"«BASE64:\g<0>»"),   # roots, signatures
    (r"\[([A-Z_]+)-([0-9a-f]{6})\]", r"[\1-«PSEUDONYM:\2»]"),        # [NAME-c11990]
    (r"\b\d+(\.\d+)?\s?(ns|us|µs|ms|s|min)\b", "«DURATION»"),
    (r"\b\d+(\.\d+)?\s?([kKMG]i?B|records|entries|lines)/s\b", "«RATE»"),
]]
KEPT = re.compile(L + r"([A-Z0-9]+):([^" + R + r"]*)" + R)


def norm(s):
    for p, r in NORM:
        s = p.sub(r, s)
    return "\n".join(l.rstrip() for l in s.split("\n")).strip("\n")


def short(v):
    m = KEPT.fullmatch(v)
    return "<%s %s>" % (m.group(1), m.group(2)[:12] + ("..." if len(m.group(2)) > 12 else ""))


def shown(s):
    """A normalized text as the diagnostics show it: <HEX>, <KEYID>..."""
    return KEPT.sub(lambda m: "<%s>" % m.group(1), s).replace(L, "<").replace(R, ">")


def mismatch(want, got, bound):
    """Why got does not match want, or None. Word by word: any run of whitespace (line breaks included) matches any
    other; a word `...` matches anything, any number of lines; `...` inside
    a word matches any part of a word. bound maps the page's kept values to
    the program's, over the whole page, both ways; it grows on a match."""
    groups, rx, words = {}, "", want.split()

    def part(t):                    # a piece of a word, its kept values matched as bound
        out, at = "", 0
        for m in KEPT.finditer(t):
            out += re.escape(t[at:m.start()])
            v = m.group(0)
            if v in bound:
                out += re.escape(bound[v])
            elif v in groups:
                out += "(?P=%s)" % groups[v]
            else:
                groups[v] = "g%d" % len(groups)
                out += "(?P<%s>%s%s:[^%s]*%s)" % (groups[v], L, m.group(1), R, R)
            at = m.end()
        return out + re.escape(t[at:])

    for k, w in enumerate(words):
        if k:
            rx += r"\s*" if "..." in (w, words[k - 1]) else r"\s+"
        rx += r"[\s\S]*?" if w == "..." else r"\S*?".join(map(part, w.split("...")))
    m = re.fullmatch(r"\s*" + rx + r"\s*", got)
    if m is None:
        return "output differs"
    new = {v: m.group(g) for v, g in groups.items()}
    if len(set(new.values())) < len(new) or set(bound.values()) & set(new.values()):
        return "output differs: values the page shows as different (hashes, key ids...) " \
            "are one value, or one it shows twice is two"
    bound.update(new)
    return None


# ---- running ----------------------------------------------------------

def runpty(argv, cwd, env, timeout):
    """Runs argv with stdout and stderr a terminal (as the user who types the
    command sees it), stdin /dev/null; (status, output, timed out)."""
    master, slave = os.openpty()
    attr = termios.tcgetattr(slave)
    attr[1] &= ~termios.OPOST                               # no \n -> \r\n
    termios.tcsetattr(slave, termios.TCSANOW, attr)
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    p = subprocess.Popen(argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=slave,
                         stderr=slave, start_new_session=True)
    os.close(slave)
    out, end, late = b"", time.monotonic() + timeout, False
    while True:
        left = end - time.monotonic()
        if left <= 0:
            late = True
            os.killpg(p.pid, signal.SIGKILL)
            break
        if select.select([master], [], [], left)[0]:
            try:
                chunk = os.read(master, 65536)
            except OSError:                                 # EIO: every writer is gone
                chunk = b""
            if not chunk:
                break
            out += chunk
    os.close(master)
    status = p.wait()
    try:
        os.killpg(p.pid, signal.SIGKILL)                    # what the command left behind
    except ProcessLookupError:
        pass
    return status, out.decode("utf-8", "replace"), late


def unquoted_sub(rx, fn, cmd):
    """rx.sub(fn) on the parts of a shell command outside quotes."""
    out, run, q, i = [], [], None, 0
    while i < len(cmd):
        c = cmd[i]
        if q is None and c in "'\"":
            out.append(rx.sub(fn, "".join(run)))
            run, q = [], c
            out.append(c)
        elif q is not None:
            out.append(c)
            if c == "\\" and q == '"' and i + 1 < len(cmd):
                out.append(cmd[i + 1])
                i += 1
            elif c == q:
                q = None
        else:
            run.append(c)
        i += 1
    out.append(rx.sub(fn, "".join(run)))
    return "".join(out)


def tap_name(s):
    return s.replace("#", "\\#")


def diag(label, text):
    for l in (text or "(nothing)").split("\n"):
        print("#   %s %s" % (label, l))


def run(pages):
    top, scratch = os.environ["EX_TOP"], os.environ["EX_SCRATCH"]
    can_as, timeout = os.environ.get("EX_AS") == "1", float(os.environ.get("EX_TIMEOUT", "10"))
    show = os.environ.get("EX_SHOW") == "1"
    users = doc_users(pages, top)
    words = set(users) | {g for gs in users.values() for g in gs}
    # a doc user's or group's name standing as a shell word: --reviewer dr-smith, -g=phikit
    rename = re.compile(r"(?<![^\s=])(%s)(?![^\s;|&)])" % "|".join(map(re.escape, sorted(words))))
    fixtures = os.path.join(top, "tests/cli/examples")
    n = failed = 0
    for page in pages:
        section = None
        for ex in examples(os.path.join(top, page)):
            if ex["section"] != section:                    # a fresh scratch directory
                section = ex["section"]
                d = os.path.join(scratch, "%s.%d" % (page.replace("/", "_"), section))
                os.mkdir(d)
                for sub in ("common", os.path.basename(page)):  # the page's own files win
                    src = os.path.join(fixtures, sub)
                    if os.path.isdir(src):
                        shutil.copytree(src, d, dirs_exist_ok=True)
                os.chmod(d, 0o1777)                         # like /tmp: every doc user writes here
                env = {"PATH": os.environ["EX_PATH"], "HOME": d, "LC_ALL": "C", "TZ": "UTC",
                       "TERM": "dumb", "PHIKIT_LLM_ENDPOINT": os.environ.get("EX_LLM", ""),
                       "PYTHONPATH": os.environ.get("EX_PYTHONPATH", "")}
                status, skip, bound = 0, None, {}
            n += 1
            first = " ".join(ex["cmd"].split("\n")[0].split())
            name = tap_name("%s:%d %s" % (page, ex["line"], first))
            if ex["user"] and not can_as and not skip:
                print("ok %d - %s # skip acting as %s needs root, setpriv and useradd"
                      % (n, name, ex["user"]))
                skip = "it follows %s:%d, skipped" % (page, ex["line"])
                continue
            if skip:                                        # it may need what that one made
                print("ok %d - %s # skip %s" % (n, name, skip))
                continue
            cmd = unquoted_sub(rename, lambda m: PREFIX + m.group(1), ex["cmd"]) if words else ex["cmd"]
            argv = ["bash", "-o", "pipefail", "-c", "(exit %d); %s" % (status, cmd)]
            if ex["user"] and ex["user"] != "root":
                u = PREFIX + ex["user"]
                argv = ["setpriv", "--reuid=" + u, "--regid=%d" % pwd.getpwnam(u).pw_gid,
                        "--init-groups", "--"] + argv
            status, got, late = runpty(argv, d, env, timeout)
            status = status if status >= 0 else 128 - status
            if show:                                        # to paste into a page
                raw = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]|\r", "", got).rstrip("\n")
                diag("output:", raw + ("\n[exit status %d]" % status if status else ""))
            want, got = norm(ex["want"]), norm(got)
            why = []
            if late:
                why.append("still running after %g s (killed)" % timeout)
            if status != 0 and not ex["shows_status"]:
                why.append("exit status %d" % status)
            differs = want and mismatch(want, got, bound)
            if differs:
                why.append(differs)
            if not why:
                print("ok %d - %s" % (n, name))
                continue
            failed += 1
            print("not ok %d - %s" % (n, name))
            print("#   %s" % "; ".join(why))
            diag("command: ", cmd)
            if want:
                diag("want:    ", shown(want))
            diag("got:     ", shown(got))
            for v in sorted({m.group(0) for m in KEPT.finditer(want)} & set(bound) if differs else []):
                diag("earlier: ", "the page's %s stands for the program's %s" % (short(v), short(bound[v])))
    print("1..%d" % n + ("" if n else " # SKIP no examples on these pages"))
    return 1 if failed else 0


if __name__ == "__main__":
    top = os.environ.get("EX_TOP", os.path.join(os.path.dirname(os.path.abspath(__file__)), "../.."))
    if sys.argv[1] == "users":
        for u, g in doc_users(sys.argv[2:], top).items():
            print(" ".join([u] + g))
        sys.exit(0)
    sys.exit(run(sys.argv[2:]))
