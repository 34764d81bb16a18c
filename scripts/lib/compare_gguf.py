#!/usr/bin/env python3
"""compare_gguf.py OURS REFERENCE: tensor for tensor (name, type, shape, bytes) and key for key, the GGUF this
engine wrote against the one llama.cpp's converter wrote. Keys that only describe the file (general.name and the
size/version labels derived from the folder name or model card) are skipped. Exit 1 on any other
difference, printing each.

One tolerance, for BitNet's ternarised projections written as F32 (--outtype f32): the reference scales each by
torch's float32 mean of |W|, whose summation order depends on the CPU's vector width and torch's thread count; we
take the correctly rounded mean. Such a tensor passes when every element has the same ternary sign pattern and the
magnitudes differ by at most 2 ulp; the number of such tensors is printed. (In TQ1_0/TQ2_0 the scale is rounded to
F16 and those files must be byte-identical.)"""
import sys

import os
import re

import numpy as np
import gguf

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gguf_lite import Reader  # noqa: E402

DESCRIPTIVE = {"general.name", "general.size_label", "general.basename", "general.finetune", "general.version",
               "general.organization", "general.license", "general.tags", "general.languages", "general.base_model.count"}


def main():
    ours, ref = Reader(sys.argv[1]), Reader(sys.argv[2])
    problems = []
    a, b = ours.fields, ref.fields
    for k in sorted(set(a) | set(b)):
        if k in DESCRIPTIVE or k.startswith("general.base_model."):
            continue
        if k not in a:
            problems.append(f"key {k} missing (reference: {str(b[k])[:80]})")
        elif k not in b:
            problems.append(f"key {k} not in the reference (ours: {str(a[k])[:80]})")
        elif a[k] != b[k]:
            problems.append(f"key {k}: ours {str(a[k])[:80]} vs reference {str(b[k])[:80]}")
    ta, tb = ours.tensors, ref.tensors
    same = within_ulp = 0
    projection = re.compile(r"blk\.\d+\.(attn_q|attn_k|attn_v|attn_output|ffn_gate|ffn_up|ffn_down)\.weight$")
    for n in sorted(set(ta) | set(tb)):
        if n not in ta or n not in tb:
            problems.append(f"tensor {n} only in {'the reference' if n in tb else 'ours'}")
            continue
        (xt, xs, xd), (yt, ys, yd) = ta[n], tb[n]
        if xt != yt or xs != ys:
            problems.append(f"tensor {n}: ours {xt.name} {xs} vs reference {yt.name} {ys}")
            continue
        bx, by = np.frombuffer(xd, dtype=np.uint8), np.frombuffer(yd, dtype=np.uint8)
        if (bx.shape == by.shape and not np.array_equal(bx, by) and xt == gguf.GGMLQuantizationType.F32
                and a.get("general.architecture") == "bitnet" and projection.match(n)):
            fx, fy = bx.view(np.float32), by.view(np.float32)
            mag = float(np.abs(fy).max())
            if np.array_equal(np.sign(fx), np.sign(fy)) and np.abs(fx - fy).max() <= 2 * np.spacing(np.float32(mag)):
                within_ulp += 1
                continue
        if bx.shape != by.shape or not np.array_equal(bx, by):
            diff = int(np.count_nonzero(bx != by)) if bx.shape == by.shape else -1
            problems.append(f"tensor {n} ({xt.name}): {diff} of {by.size} bytes differ")
            continue
        same += 1
    status = "identical" if not problems else f"{len(problems)} difference(s)"
    extra = f", {within_ulp} ternarised F32 projections within 2 ulp of the scale" if within_ulp else ""
    print(f"compare_gguf: {sys.argv[1]} vs {sys.argv[2]}: {same}/{len(tb)} tensors byte-identical{extra}, "
          f"{len(set(a) & set(b) - DESCRIPTIVE)} keys compared, {status}")
    for p in problems[:40]:
        print("  " + p)
    sys.exit(1 if problems else 0)


main()
