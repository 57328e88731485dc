"""pngcheck.py PNG MARGIN: of a screenshot, whether anything is drawn and
whether the rightmost MARGIN columns are still background (nothing ran
past the page's width). 8-bit RGB or RGBA, as Chromium writes them; the
standard library only."""
import struct
import sys
import zlib


def pixels(path):
    data = open(path, "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat = 8, b""
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            w, h, depth, ctype = struct.unpack(">IIBB", body[:10])
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    assert depth == 8 and ctype in (2, 6), "not 8-bit RGB(A)"
    bpp = 3 if ctype == 2 else 4
    raw, stride, rows, prev = zlib.decompress(idat), w * bpp, [], bytearray(w * bpp)
    for y in range(h):
        f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b, c = prev[i], prev[i - bpp] if i >= bpp else 0
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(line)
        prev = line
    return w, h, bpp, rows


w, h, bpp, rows = pixels(sys.argv[1])
margin = int(sys.argv[2])
bg = tuple(rows[0][:3])
inked = sum(1 for r in rows for x in range(0, w, 4) if tuple(r[x * bpp:x * bpp + 3]) != bg)
clear = all(tuple(r[x * bpp:x * bpp + 3]) == bg for r in rows for x in range(w - margin, w))
print("%dx%d %s, right margin %s" % (w, h, "drawn" if inked > w * h // 400 else "blank",
                                     "clear" if clear else "overrun"))
