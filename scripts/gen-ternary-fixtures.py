#!/usr/bin/env python3
"""Generate the ternary-format fixtures Tests/KernelsTests reads (run once; the outputs are committed).

Sibling of gen-kernel-fixtures.py (same source.f32.bin, left untouched). TQ1_0/TQ2_0 go through the `gguf`
package (0.19.0), whose quantizers and dequantizers reproduce llama.cpp's reference code bit for bit. gguf has no
I2_S, so that fixture is packed here from the layout in DESIGN.md (bitnet.cpp, x86: 128 weights per 32 bytes,
byte j holds weight j in bits 7:6, 32+j in 5:4, 64+j in 3:2, 96+j in 1:0, code-1 is the weight; one f32 scale in
the first 4 of 32 trailing bytes).

    python3 scripts/gen-ternary-fixtures.py           # writes Tests/KernelsTests/Fixtures/{tq1_0,tq2_0,i2_s}*.bin

Files (little-endian):
  tq1_0.quant.bin / tq2_0.quant.bin   source.f32.bin quantized by gguf (2 blocks), then 2 random-byte blocks
                                      (TQ1_0 bytes >= 243 and TQ2_0 code 3 included: they must decode as ggml does)
  tq1_0.dequant.f32.bin / tq2_0...    gguf's dequantization of the quant file
  i2_s.quant.bin                      a 2 x 256 I2_S tensor (ternary codes, scale 0.0375) with its 32-byte trailer
  i2_s.dequant.f32.bin                its 512 weights, (code - 1) * scale
"""
import pathlib

import numpy as np
from gguf import GGMLQuantizationType as T
from gguf import quants

OUT = pathlib.Path(__file__).resolve().parent.parent / "Tests" / "KernelsTests" / "Fixtures"
rng = np.random.default_rng(20261123)


def ternary(qtype: T, x: np.ndarray) -> None:
    name, size, d_at = {T.TQ1_0: ("tq1_0", 54, 52), T.TQ2_0: ("tq2_0", 66, 64)}[qtype]
    q = quants.quantize(x.reshape(1, -1), qtype).reshape(-1, size)
    raw = rng.integers(0, 256, size=(2, size), dtype=np.uint8)
    raw[:, d_at:d_at + 2] = (rng.random((2, 1)) * 0.02 + 0.001).astype(np.float16).view(np.uint8)
    blocks = np.concatenate([q, raw]).astype(np.uint8)
    (OUT / f"{name}.quant.bin").write_bytes(blocks.tobytes())
    deq = quants.dequantize(blocks.reshape(1, -1), qtype).astype(np.float32)
    (OUT / f"{name}.dequant.f32.bin").write_bytes(deq.tobytes())


def i2_s() -> None:
    codes = rng.integers(0, 3, size=512, dtype=np.uint8)  # 2 rows x 256, flat
    scale = np.float32(0.0375)
    packed = np.zeros(512 // 4, dtype=np.uint8)
    for block in range(512 // 128):
        c = codes[128 * block:128 * block + 128].reshape(4, 32)  # c[k][j] = weight 32k + j
        packed[32 * block:32 * block + 32] = (c[0] << 6) | (c[1] << 4) | (c[2] << 2) | c[3]
    trailer = np.zeros(32, dtype=np.uint8)
    trailer[0:4] = np.frombuffer(scale.tobytes(), dtype=np.uint8)
    (OUT / "i2_s.quant.bin").write_bytes(packed.tobytes() + trailer.tobytes())
    deq = (codes.astype(np.float32) - np.float32(1)) * scale
    (OUT / "i2_s.dequant.f32.bin").write_bytes(deq.astype(np.float32).tobytes())


def main() -> None:
    x = np.frombuffer((OUT / "source.f32.bin").read_bytes(), dtype=np.float32)
    ternary(T.TQ1_0, x)
    ternary(T.TQ2_0, x)
    i2_s()


if __name__ == "__main__":
    main()
