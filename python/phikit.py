"""phikit: phi-scrub and guard-check from Python, through libphikit.so.1.

    import phikit
    policy = phikit.Policy()                  # the preset, or Policy("site.yaml")
    scrub = phikit.Scrubber(policy)
    scrub.text("Pt Marisol Quintero, MRN 004418273")   # 'Pt [NAME], MRN [MRN]'
    scrub.record('{"text": "..."}')           # the line phi-scrub prints
    phikit.Guard(policy).record('{"text": "You have gout."}')

Each call gives exactly what the filter prints for the same record. Bad
input, a bad policy or a failure raises phikit.Error, whose message is
the filter's (it never quotes the input) and whose .status is the
filter's exit status (2 usage or policy, 3 bad input, 4 anything else).
A Scrubber or Guard is for one thread at a time.

The library is found as PHIKIT_LIB names it, else beside this file in a
build tree (../lib/libphikit.so.1), else where the system's loader finds
libphikit.so.1. From a build tree the preset is the tree's own.
"""
import ctypes
import ctypes.util
import os

__all__ = ["Error", "Policy", "Scrubber", "Guard", "version"]

_here = os.path.dirname(os.path.abspath(__file__))
_tree = os.path.dirname(_here)
_LIBDIR = None  # make install writes the installed library's directory here


def _load():
    names = []
    if os.environ.get("PHIKIT_LIB"):
        names.append(os.environ["PHIKIT_LIB"])
    if _LIBDIR:
        names.append(os.path.join(_LIBDIR, "libphikit.so.1"))
    else:
        names.append(os.path.join(_tree, "lib", "libphikit.so.1"))
    names.append("libphikit.so.1")
    for n in names:
        try:
            return ctypes.CDLL(n)
        except OSError:
            continue
    raise ImportError("phikit: libphikit.so.1 not found (set PHIKIT_LIB, or make install)")


_lib = _load()
_ERRLEN = 1024
_c = ctypes.c_char_p
_sz = ctypes.c_size_t
_vp = ctypes.c_void_p
for name, args in {
        "phikit_policy_load": [_c, ctypes.POINTER(_vp), _c, _sz],
        "phikit_scrubber_new": [_vp, ctypes.POINTER(_vp), _c, _sz],
        "phikit_guard_new": [_vp, ctypes.POINTER(_vp), _c, _sz],
        "phikit_scrub_record": [_vp, _c, _sz, ctypes.POINTER(_vp), ctypes.POINTER(_sz), _c, _sz],
        "phikit_scrub_text": [_vp, _c, _sz, ctypes.POINTER(_vp), ctypes.POINTER(_sz), _c, _sz],
        "phikit_guard_record": [_vp, _c, _sz, ctypes.POINTER(_vp), ctypes.POINTER(_sz), _c, _sz],
}.items():
    getattr(_lib, name).argtypes = args
    getattr(_lib, name).restype = ctypes.c_int
for name in ("phikit_policy_free", "phikit_scrubber_free", "phikit_guard_free", "phikit_free"):
    getattr(_lib, name).argtypes = [_vp]
    getattr(_lib, name).restype = None
for name in ("phikit_policy_name", "phikit_policy_sha256"):
    getattr(_lib, name).argtypes = [_vp]
    getattr(_lib, name).restype = _c
_lib.phikit_version.argtypes = [ctypes.POINTER(ctypes.c_int)]
_lib.phikit_version.restype = _c


class Error(Exception):
    """What the filter would have said on stderr, and its exit status."""

    def __init__(self, message, status):
        super().__init__(message)
        self.status = status


def version():
    """(library version, API version)."""
    api = ctypes.c_int()
    return _lib.phikit_version(ctypes.byref(api)).decode(), api.value


def _check(rc, err):
    if rc != 0:
        raise Error(err.value.decode("utf-8", "replace"), rc)


def _bytes(s):
    return s.encode("utf-8") if isinstance(s, str) else bytes(s)


class Policy:
    """A policy file; None: $PHIKIT_POLICY, else the preset."""

    def __init__(self, path=None):
        if path is None and not _LIBDIR and not os.environ.get("PHIKIT_POLICY"):
            tree = os.path.join(_tree, "policies", "hipaa.yaml")
            if os.path.exists(os.path.join(_tree, "lib", "libphikit.so.1")) and os.path.exists(tree):
                path = tree
        self._h = _vp()
        err = ctypes.create_string_buffer(_ERRLEN)
        _check(_lib.phikit_policy_load(None if path is None else os.fsencode(path),
                                       ctypes.byref(self._h), err, _ERRLEN), err)

    @property
    def name(self):
        return _lib.phikit_policy_name(self._h).decode()

    @property
    def sha256(self):
        return _lib.phikit_policy_sha256(self._h).decode()

    def __del__(self):
        if getattr(self, "_h", None):
            _lib.phikit_policy_free(self._h)
            self._h = None


class _Engine:
    _new = _free = None

    def __init__(self, policy):
        self._policy = policy      # kept alive while the engine is
        self._h = _vp()
        err = ctypes.create_string_buffer(_ERRLEN)
        _check(self._new(policy._h, ctypes.byref(self._h), err, _ERRLEN), err)

    def _call(self, fn, data):
        data = _bytes(data)
        out, n = _vp(), _sz()
        err = ctypes.create_string_buffer(_ERRLEN)
        rc = fn(self._h, data, len(data), ctypes.byref(out), ctypes.byref(n), err, _ERRLEN)
        _check(rc, err)
        try:
            return ctypes.string_at(out, n.value).decode("utf-8")
        finally:
            _lib.phikit_free(out)

    def __del__(self):
        if getattr(self, "_h", None):
            type(self)._free(self._h)
            self._h = None


class Scrubber(_Engine):
    """phi-scrub in the policy's mode."""
    _new = _lib.phikit_scrubber_new
    _free = _lib.phikit_scrubber_free

    def record(self, line):
        """One JSON object (str or bytes): the line phi-scrub prints for it."""
        return self._call(_lib.phikit_scrub_record, line)

    def text(self, s):
        """A string, as phi-scrub leaves it in {"text": s}."""
        return self._call(_lib.phikit_scrub_text, s)


class Guard(_Engine):
    """guard-check; per-run limits count across calls, in call order."""
    _new = _lib.phikit_guard_new
    _free = _lib.phikit_guard_free

    def record(self, line):
        """One JSON object: the line guard-check prints for it."""
        return self._call(_lib.phikit_guard_record, line)
