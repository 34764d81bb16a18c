"""A minimal GGUF reader for the conversion check's scripts (scripts/lib/compare_gguf.py,
scripts/make-hf-checkpoint.py)."""
import struct

import numpy as np
import gguf


class Reader:
    """A minimal GGUF v2/v3 reader: metadata values and each tensor's name, type, shape and bytes (gguf-py's
    GGUFReader takes ~10 s on a 128k-token vocabulary; this takes well under one)."""
    SCALARS = {0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f", 7: "<?", 10: "<Q", 11: "<q", 12: "<d"}

    def __init__(self, path):
        with open(path, "rb") as f:
            self.buf = memoryview(f.read())
        self.pos = 0
        assert bytes(self.buf[:4]) == b"GGUF", f"{path}: not a GGUF file"
        self.pos = 4
        self.read("<I")
        n_tensors, n_kv = self.read("<Q"), self.read("<Q")
        self.fields = {}
        for _ in range(n_kv):
            key = self.string()
            self.fields[key] = self.value(self.read("<I"))
        infos = []
        for _ in range(n_tensors):
            name = self.string()
            dims = [self.read("<Q") for _ in range(self.read("<I"))]
            infos.append((name, dims, self.read("<I"), self.read("<Q")))
        align = self.fields.get("general.alignment", 32)
        base = (self.pos + align - 1) // align * align
        self.tensors = {}
        for name, dims, t, off in infos:
            block, size = gguf.GGML_QUANT_SIZES[gguf.GGMLQuantizationType(t)]
            n = int(np.prod(dims)) if dims else 1
            self.tensors[name] = (gguf.GGMLQuantizationType(t), dims, self.buf[base + off: base + off + n // block * size])

    def read(self, fmt):
        v = struct.unpack_from(fmt, self.buf, self.pos)[0]
        self.pos += struct.calcsize(fmt)
        return v

    def string(self):
        n = self.read("<Q")
        v = bytes(self.buf[self.pos:self.pos + n]).decode("utf-8", "surrogateescape")
        self.pos += n
        return v

    def value(self, t):
        if t == 8:
            return self.string()
        if t == 9:
            et, n = self.read("<I"), self.read("<Q")
            return [self.value(et) for _ in range(n)]
        return self.read(self.SCALARS[t])
