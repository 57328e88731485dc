// verify.go — checks phikit's audit ledger output with Go's own transparency
// log code and nothing of ours: golang.org/x/mod/sumdb/note opens the signed
// checkpoints, golang.org/x/mod/sumdb/tlog checks the inclusion and
// consistency proofs, and every leaf is rebuilt here from the entry's
// fields (phikit-ledger(5)), never taken from a string in the bundle.
//
//	go run verify.go -key VKEY [-since SAVED] BUNDLE
//	go run verify.go -key VKEY -checkpoint NOTES
//	go run verify.go -key VKEY -signer KEYFILE -note NOTES
//
// VKEY is a verifier key (name+id+base64) or a file holding one. NOTES is
// a file of signed notes appended one after another (ledger-append
// --checkpoint-out); SAVED is such a file, whose last note is the
// checkpoint an auditor kept from before (trace-export --since).
// -signer loads a key made by ledger-admin keygen with note.NewSigner and
// requires Go's signature of every note's text to be byte for byte the
// note phikit signed (Ed25519 is deterministic).
//
// Build offline with Debian's packages (golang-go,
// golang-golang-x-mod-dev):
//
//	GO111MODULE=off GOPATH=/usr/share/gocode GOFLAGS= go run verify.go ...
//
// Prints one line, "go interop OK: ..." (exit 0) or "go interop FAIL: ..."
// (exit 1); usage errors exit 2.
package main

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

var (
	uintRe = regexp.MustCompile(`^(0|[1-9][0-9]{0,18})$`)
	hexRe  = regexp.MustCompile(`^[0-9a-f]{64}$`)
)

type checkpoint struct {
	origin string
	size   int64
	root   tlog.Hash
	signer string
}

func failf(format string, a ...interface{}) error { return fmt.Errorf(format, a...) }

// readKey: a verifier key given as the string itself or as a file holding it.
func readKey(s string) string {
	if b, err := os.ReadFile(s); err == nil {
		return strings.TrimRight(string(b), "\r\n")
	}
	return s
}

// splitNotes cuts a file of signed notes appended one after another into
// the notes: each is text lines, a blank line, then "— " signature lines.
func splitNotes(b []byte) ([][]byte, error) {
	if len(b) == 0 || b[len(b)-1] != '\n' {
		return nil, errors.New("the notes file is empty or does not end in a newline")
	}
	var notes [][]byte
	start, state := 0, 0 // 0 text, 1 after the blank line, 2 in signatures
	for i := 0; i < len(b); {
		j := bytes.IndexByte(b[i:], '\n') + i
		line := b[i:j]
		isSig := bytes.HasPrefix(line, []byte("— "))
		switch {
		case state == 0 && len(line) == 0:
			state = 1
		case state == 1 && isSig, state == 2 && isSig:
			state = 2
		case state == 2:
			notes = append(notes, b[start:i])
			start, state = i, 0
			if len(line) == 0 {
				return nil, errors.New("a blank line where a note should begin")
			}
		case state == 1:
			return nil, errors.New("a note's blank line is not followed by a signature")
		}
		i = j + 1
	}
	if state != 2 {
		return nil, errors.New("the last note has no signature")
	}
	return append(notes, b[start:]), nil
}

// openCheckpoint: note.Open with the one trusted key, then the C2SP
// tlog-checkpoint body: origin, decimal tree size, base64 root hash, and
// optional extension lines.
func openCheckpoint(msg []byte, vkey string) (*checkpoint, error) {
	v, err := note.NewVerifier(vkey)
	if err != nil {
		return nil, failf("verifier key: %v", err)
	}
	n, err := note.Open(msg, note.VerifierList(v))
	if err != nil {
		return nil, failf("note.Open: %v", err)
	}
	lines := strings.Split(n.Text, "\n")
	// Text ends in "\n": the last element is "".
	if len(lines) < 4 || lines[len(lines)-1] != "" {
		return nil, errors.New("checkpoint text: fewer than three lines")
	}
	for _, l := range lines[3 : len(lines)-1] {
		if l == "" {
			return nil, errors.New("checkpoint text: an empty extension line")
		}
	}
	ck := &checkpoint{origin: lines[0], signer: fmt.Sprintf("%s+%08x", v.Name(), v.KeyHash())}
	if ck.origin == "" {
		return nil, errors.New("checkpoint text: empty origin")
	}
	if !uintRe.MatchString(lines[1]) {
		return nil, failf("checkpoint text: tree size %q is not a decimal number", lines[1])
	}
	if ck.size, err = strconv.ParseInt(lines[1], 10, 64); err != nil {
		return nil, failf("checkpoint text: tree size %q: %v", lines[1], err)
	}
	root, err := base64.StdEncoding.Strict().DecodeString(lines[2])
	if err != nil || len(root) != tlog.HashSize {
		return nil, failf("checkpoint text: root hash %q is not base64 of 32 bytes", lines[2])
	}
	copy(ck.root[:], root)
	return ck, nil
}

// noDuplicateKeys walks the document: a key twice in one object is refused
// (decoders differ on which one they keep).
func noDuplicateKeys(d *json.Decoder) error {
	t, err := d.Token()
	if err != nil {
		return err
	}
	switch t {
	case json.Delim('{'):
		seen := map[string]bool{}
		for d.More() {
			k, err := d.Token()
			if err != nil {
				return err
			}
			if seen[k.(string)] {
				return failf("key %q appears twice in one object", k)
			}
			seen[k.(string)] = true
			if err := noDuplicateKeys(d); err != nil {
				return err
			}
		}
		_, err = d.Token()
	case json.Delim('['):
		for d.More() {
			if err := noDuplicateKeys(d); err != nil {
				return err
			}
		}
		_, err = d.Token()
	}
	return err
}

// canonString is a JSON string as Python's json.dumps(ensure_ascii=False)
// and jq -c write it: only '"', '\\' and control characters escaped.
func canonString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		case '\b':
			b.WriteString(`\b`)
		case '\f':
			b.WriteString(`\f`)
		default:
			if r < 0x20 {
				fmt.Fprintf(&b, `\u%04x`, r)
			} else {
				b.WriteRune(r)
			}
		}
	}
	b.WriteByte('"')
	return b.String()
}

type entry struct {
	seq, runSeq                                 int64
	runID, runPrev, payloadSHA, ts, actor, kind string
	leaf                                        []byte
}

var entryFields = map[string]bool{"actor": false, "kind": false, "payload_sha256": false,
	"run_id": false, "run_prev": false, "run_seq": true, "seq": true, "ts": false, "v": true}

// rebuildLeaf: the leaf bytes from the entry's decoded values, keys
// sorted, no white space, integers plain.
func rebuildLeaf(raw json.RawMessage) (*entry, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil || m == nil {
		return nil, errors.New("\"entry\" is not an object")
	}
	if len(m) != len(entryFields) {
		return nil, failf("the entry has %d fields, not the ledger's %d", len(m), len(entryFields))
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		if _, ok := entryFields[k]; !ok {
			return nil, failf("the entry has a field %q the ledger does not", k)
		}
		keys = append(keys, k)
	}
	sort.Strings(keys)
	e := &entry{}
	strs := map[string]string{}
	ints := map[string]int64{}
	var leaf bytes.Buffer
	leaf.WriteByte('{')
	for i, k := range keys {
		if i > 0 {
			leaf.WriteByte(',')
		}
		leaf.WriteString(canonString(k))
		leaf.WriteByte(':')
		if entryFields[k] {
			s := string(m[k])
			if !uintRe.MatchString(s) {
				return nil, failf("field %q is not a non-negative integer", k)
			}
			v, err := strconv.ParseInt(s, 10, 64)
			if err != nil {
				return nil, failf("field %q: %v", k, err)
			}
			ints[k] = v
			leaf.WriteString(strconv.FormatInt(v, 10))
		} else {
			var s string
			if err := json.Unmarshal(m[k], &s); err != nil {
				return nil, failf("field %q is not a string", k)
			}
			strs[k] = s
			leaf.WriteString(canonString(s))
		}
	}
	leaf.WriteByte('}')
	if ints["v"] != 1 {
		return nil, failf("entry version v is %d, not 1", ints["v"])
	}
	e.seq, e.runSeq = ints["seq"], ints["run_seq"]
	e.runID, e.runPrev, e.ts = strs["run_id"], strs["run_prev"], strs["ts"]
	e.actor, e.kind, e.payloadSHA = strs["actor"], strs["kind"], strs["payload_sha256"]
	e.leaf = leaf.Bytes()
	if !hexRe.MatchString(e.payloadSHA) {
		return nil, errors.New("payload_sha256 is not 64 lowercase hex digits")
	}
	if e.runPrev != "" && !hexRe.MatchString(e.runPrev) {
		return nil, errors.New("run_prev is neither \"\" nor 64 lowercase hex digits")
	}
	return e, nil
}

func hexHashes(raw json.RawMessage, what string) ([]tlog.Hash, error) {
	var hs []string
	if err := json.Unmarshal(raw, &hs); err != nil || hs == nil {
		return nil, failf("%s is not an array of hex strings", what)
	}
	out := make([]tlog.Hash, len(hs))
	for i, h := range hs {
		b, err := hex.DecodeString(h)
		if err != nil || len(b) != tlog.HashSize || !hexRe.MatchString(h) {
			return nil, failf("%s[%d] is not a 64-digit hex hash", what, i)
		}
		copy(out[i][:], b)
	}
	return out, nil
}

type bundleItem struct {
	Entry          json.RawMessage `json:"entry"`
	LeafHash       *string         `json:"leaf_hash"`
	Payload        json.RawMessage `json:"payload"`
	ErasedBy       json.RawMessage `json:"erased_by"`
	InclusionProof json.RawMessage `json:"inclusion_proof"`
}

type bundleDoc struct {
	Format       string          `json:"format"`
	Version      int             `json:"version"`
	Origin       string          `json:"origin"`
	RunID        string          `json:"run_id"`
	Checkpoint   string          `json:"checkpoint"`
	TreeSize     int64           `json:"tree_size"`
	RootHash     string          `json:"root_hash"`
	VerifierKeys []string        `json:"verifier_keys"`
	Consistency  json.RawMessage `json:"consistency"`
	Entries      []bundleItem    `json:"entries"`
}

func verifyBundle(path, vkey, since string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	if err := noDuplicateKeys(json.NewDecoder(bytes.NewReader(b))); err != nil {
		return "", failf("bundle: %v", err)
	}
	var doc bundleDoc
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&doc); err != nil {
		return "", failf("bundle: %v", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return "", errors.New("bundle: more than one JSON document")
	}
	if doc.Format != "phikit-audit-bundle" || doc.Version != 1 {
		return "", errors.New("bundle: not format phikit-audit-bundle version 1")
	}
	ck, err := openCheckpoint([]byte(doc.Checkpoint), vkey)
	if err != nil {
		return "", failf("bundle checkpoint: %v", err)
	}
	if ck.origin != doc.Origin {
		return "", failf("bundle: origin %q is not the checkpoint's %q", doc.Origin, ck.origin)
	}
	if ck.size != doc.TreeSize || hex.EncodeToString(ck.root[:]) != doc.RootHash {
		return "", errors.New("bundle: tree_size/root_hash are not the signed checkpoint's")
	}
	if len(doc.Entries) == 0 {
		return "", errors.New("bundle: no entries")
	}
	prev, lastSeq, erased := "", int64(-1), 0
	for i, it := range doc.Entries {
		e, err := rebuildLeaf(it.Entry)
		if err != nil {
			return "", failf("entries[%d]: %v", i, err)
		}
		at := fmt.Sprintf("entry %d", e.seq)
		h := tlog.RecordHash(e.leaf)
		if it.LeafHash == nil || *it.LeafHash != hex.EncodeToString(h[:]) {
			return "", failf("%s: leaf_hash is not SHA-256(0x00 || leaf bytes) of its fields", at)
		}
		if string(it.Payload) == "null" {
			var by int64
			if err := json.Unmarshal(it.ErasedBy, &by); err != nil || by <= e.seq {
				return "", failf("%s: payload erased without an erased_by after it", at)
			}
			erased++
		} else {
			var p string
			if err := json.Unmarshal(it.Payload, &p); err != nil {
				return "", failf("%s: payload is neither a string nor null", at)
			}
			if it.ErasedBy != nil {
				return "", failf("%s: erased_by on a payload that is present", at)
			}
			sum := sha256.Sum256([]byte(p))
			if hex.EncodeToString(sum[:]) != e.payloadSHA {
				return "", failf("%s: SHA-256 of the payload is not payload_sha256", at)
			}
		}
		proof, err := hexHashes(it.InclusionProof, "inclusion_proof")
		if err != nil {
			return "", failf("%s: %v", at, err)
		}
		if e.seq >= ck.size {
			return "", failf("%s: beyond the checkpoint's %d entries", at, ck.size)
		}
		if err := tlog.CheckRecord(tlog.RecordProof(proof), ck.size, ck.root, e.seq, h); err != nil {
			return "", failf("%s: tlog.CheckRecord: %v", at, err)
		}
		if e.runID != doc.RunID {
			return "", failf("%s: run %q, not the bundle's run %q", at, e.runID, doc.RunID)
		}
		if e.runSeq != int64(i) || e.seq <= lastSeq {
			return "", failf("%s: run_seq %d where %d was expected (missing or reordered)", at, e.runSeq, i)
		}
		if e.runPrev != prev {
			return "", failf("%s: run_prev is not the previous entry's leaf hash", at)
		}
		prev, lastSeq = hex.EncodeToString(h[:]), e.seq
	}
	msg := fmt.Sprintf("bundle run %s: %d entries (%d erased) in checkpoint %d of %s signed by %s",
		doc.RunID, len(doc.Entries), erased, ck.size, ck.origin, ck.signer)

	if doc.Consistency == nil {
		if since != "" {
			return "", errors.New("bundle: -since given but the bundle has no consistency proof")
		}
		return msg, nil
	}
	var c struct {
		Size  *int64          `json:"size"`
		Root  string          `json:"root"`
		Proof json.RawMessage `json:"proof"`
	}
	if err := json.Unmarshal(doc.Consistency, &c); err != nil || c.Size == nil {
		return "", errors.New("consistency: not an object with size, root and proof")
	}
	rb, err := hex.DecodeString(c.Root)
	if err != nil || len(rb) != tlog.HashSize {
		return "", errors.New("consistency: root is not a hex hash")
	}
	var oldRoot tlog.Hash
	copy(oldRoot[:], rb)
	proof, err := hexHashes(c.Proof, "consistency.proof")
	if err != nil {
		return "", err
	}
	anchor := "the bundle's own claim (unanchored: give -since)"
	if since != "" {
		sb, err := os.ReadFile(since)
		if err != nil {
			return "", err
		}
		notes, err := splitNotes(sb)
		if err != nil {
			return "", failf("-since %s: %v", since, err)
		}
		old, err := openCheckpoint(notes[len(notes)-1], vkey)
		if err != nil {
			return "", failf("-since %s: %v", since, err)
		}
		if old.origin != ck.origin || old.size != *c.Size || old.root != oldRoot {
			return "", failf("consistency: from size %d, but the saved checkpoint is size %d of %s",
				*c.Size, old.size, old.origin)
		}
		anchor = "the saved checkpoint"
	}
	if *c.Size == 0 {
		if len(proof) != 0 {
			return "", errors.New("consistency: a proof from the empty tree must be empty")
		}
	} else if err := tlog.CheckTree(tlog.TreeProof(proof), ck.size, ck.root, *c.Size, oldRoot); err != nil {
		return "", failf("consistency from size %d: tlog.CheckTree: %v", *c.Size, err)
	}
	return fmt.Sprintf("%s; extends %s of size %d", msg, anchor, *c.Size), nil
}

// verifyNotes: every note in the file opens with the key, all of one
// origin. Sizes need not grow note by note: concurrent writers append
// their notes after their commits, in whatever order those finish.
func verifyNotes(path, vkey string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	notes, err := splitNotes(b)
	if err != nil {
		return "", failf("%s: %v", path, err)
	}
	var top *checkpoint
	for i, n := range notes {
		ck, err := openCheckpoint(n, vkey)
		if err != nil {
			return "", failf("%s: note %d: %v", path, i+1, err)
		}
		if top != nil && ck.origin != top.origin {
			return "", failf("%s: note %d: origin %q, not %q", path, i+1, ck.origin, top.origin)
		}
		if top == nil || ck.size > top.size {
			top = ck
		}
	}
	return fmt.Sprintf("%d checkpoint notes open (largest: size %d of %s, signed by %s)",
		len(notes), top.size, top.origin, top.signer), nil
}

// verifySigner: our signer key loads with note.NewSigner, its verifier key
// derived by Go is ours, and Go signs each note's text to the same bytes.
func verifySigner(keyfile, notesPath, vkey string) (string, error) {
	kb, err := os.ReadFile(keyfile)
	if err != nil {
		return "", err
	}
	skey := strings.TrimRight(string(kb), "\n")
	s, err := note.NewSigner(skey)
	if err != nil {
		return "", failf("note.NewSigner: %v", err)
	}
	// PRIVATE+KEY+name+id+base64(0x01 seed); the base64 may hold '+' too
	parts := strings.SplitN(skey, "+", 5)
	if len(parts) != 5 {
		return "", errors.New("signer key: not PRIVATE+KEY+name+id+key")
	}
	raw, err := base64.StdEncoding.DecodeString(parts[4])
	if err != nil || len(raw) != 1+ed25519.SeedSize || raw[0] != 1 {
		return "", errors.New("signer key: not an Ed25519 seed")
	}
	pub := ed25519.NewKeyFromSeed(raw[1:]).Public().(ed25519.PublicKey)
	goVkey, err := note.NewEd25519VerifierKey(s.Name(), pub)
	if err != nil {
		return "", err
	}
	if goVkey != vkey {
		return "", failf("Go derives the verifier key %s from the signer key, not %s", goVkey, vkey)
	}
	b, err := os.ReadFile(notesPath)
	if err != nil {
		return "", err
	}
	notes, err := splitNotes(b)
	if err != nil {
		return "", failf("%s: %v", notesPath, err)
	}
	for i, ours := range notes {
		split := bytes.LastIndex(ours, []byte("\n\n"))
		mine, err := note.Sign(&note.Note{Text: string(ours[:split+1])}, s)
		if err != nil {
			return "", failf("note.Sign: %v", err)
		}
		if !bytes.Equal(mine, ours) {
			return "", failf("%s: note %d: Go signs its text as\n%s", notesPath, i+1, mine)
		}
	}
	return fmt.Sprintf("note.NewSigner loads %s+%08x and signs %d notes byte-identically",
		s.Name(), s.KeyHash(), len(notes)), nil
}

func main() {
	key := flag.String("key", "", "verifier key, or a file holding it")
	since := flag.String("since", "", "notes file whose last note the bundle's consistency proof starts from")
	cks := flag.String("checkpoint", "", "notes file: every note must open")
	signer := flag.String("signer", "", "signer key file (ledger-admin keygen)")
	notes := flag.String("note", "", "notes file that -signer must reproduce")
	flag.Parse()
	if *key == "" || flag.NArg() > 1 || (flag.NArg() == 0 && *cks == "" && *signer == "") ||
		(*signer != "") != (*notes != "") || (*since != "" && flag.NArg() == 0) {
		fmt.Fprintln(os.Stderr, "usage: verify -key VKEY [-since NOTES] [-checkpoint NOTES] "+
			"[-signer KEYFILE -note NOTES] [BUNDLE]")
		os.Exit(2)
	}
	vkey := readKey(*key)
	var said []string
	step := func(s string, err error) {
		if err != nil {
			fmt.Printf("go interop FAIL: %v\n", err)
			os.Exit(1)
		}
		said = append(said, s)
	}
	if flag.NArg() == 1 {
		step(verifyBundle(flag.Arg(0), vkey, *since))
	}
	if *cks != "" {
		step(verifyNotes(*cks, vkey))
	}
	if *signer != "" {
		step(verifySigner(*signer, *notes, vkey))
	}
	fmt.Printf("go interop OK: %s\n", strings.Join(said, "; "))
}
