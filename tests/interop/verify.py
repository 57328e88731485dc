#!/usr/bin/env python3
"""verify.py BUNDLE: an auditor's own check of a phikit audit bundle, from
phikit-ledger(5) and the Python 3 standard library alone: payload hashes,
leaf hashes rebuilt from the entries, RFC 9162 inclusion proofs against the
root in the checkpoint text, and the run's chain. The standard library has
no Ed25519: check the checkpoint's signature with `openssl pkeyutl -verify
-rawin` (phikit-ledger(5), EXAMPLES) or with Go's sumdb/note."""
import base64, hashlib, json, sys

def sha(b): return hashlib.sha256(b).digest()

def inclusion_root(h, seq, size, proof):  # RFC 9162 section 2.1.3.2
    if seq >= size: return None
    fn, sn = seq, size - 1
    for p in proof:
        if sn == 0: return None
        if fn & 1 or fn == sn:
            h = sha(b"\x01" + p + h)
            while not fn & 1 and fn:
                fn >>= 1; sn >>= 1
        else:
            h = sha(b"\x01" + h + p)
        fn >>= 1; sn >>= 1
    return h if sn == 0 else None

def verify(doc):
    assert doc["format"] == "phikit-audit-bundle" and doc["version"] == 1, "not a bundle"
    text = doc["checkpoint"][:doc["checkpoint"].rindex("\n\n") + 1]  # the signed text
    origin, size, root = text.split("\n")[:3]
    size, root = int(size), base64.b64decode(root, validate=True)
    assert origin == doc["origin"] and len(root) == 32, "checkpoint text"
    prev = ""
    for i, it in enumerate(doc["entries"]):
        e = it["entry"]
        assert sorted(e) == ["actor", "kind", "payload_sha256", "run_id", "run_prev",
                             "run_seq", "seq", "ts", "v"] and e["v"] == 1, f"entries[{i}] fields"
        seq = e["seq"]
        leaf = json.dumps(e, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        lh = sha(b"\x00" + leaf.encode())
        assert it["leaf_hash"] == lh.hex(), f"entry {seq}: leaf hash"
        if it["payload"] is None:
            assert it["erased_by"] > seq, f"entry {seq}: erased without erased_by"
        else:
            assert sha(it["payload"].encode()).hex() == e["payload_sha256"], f"entry {seq}: payload"
        proof = [bytes.fromhex(p) for p in it["inclusion_proof"]]
        assert inclusion_root(lh, seq, size, proof) == root, f"entry {seq}: inclusion proof"
        assert e["run_id"] == doc["run_id"] and e["run_seq"] == i and e["run_prev"] == prev, \
            f"entry {seq}: run chain"
        prev = lh.hex()
    return f"{len(doc['entries'])} entries of run {doc['run_id']} in {origin} tree size {size}"

if __name__ == "__main__":
    try:
        with open(sys.argv[1], encoding="utf-8") as f:
            said = verify(json.load(f))
    except (OSError, AssertionError, KeyError, ValueError, TypeError, IndexError) as x:
        sys.exit(f"python verify FAIL: {type(x).__name__}: {x}")
    print(f"python verify OK: {said}; signature not checked (openssl or Go)")
