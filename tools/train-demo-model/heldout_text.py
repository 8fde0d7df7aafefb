"""Writes the demo model's held-out text: every verse of the books training left out (demo/kjv.py's HELD_OUT_BOOKS: Ruth,
Jonah, Philippians), one verse per line, exactly as training formats a verse (its text and a newline; no references).

    /usr/bin/python3 tools/train-demo-model/heldout_text.py --out models/longcat-demo/heldout.txt

Needs Debian's bible-kjv and bible-kjv-text packages (`apt-get install bible-kjv`), as training does.
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from demo import kjv  # noqa: E402


def main():
    a = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    a.add_argument("--out", required=True)
    args = a.parse_args()
    _, held = kjv.split(kjv.load_verses())
    text = "".join(v.text + "\n" for v in held)
    with open(args.out, "w", encoding="utf-8", newline="\n") as f:
        f.write(text)
    print(f"{len(held)} verses of {', '.join(kjv.HELD_OUT_BOOKS)}, {len(text.encode())} bytes -> {args.out}")


if __name__ == "__main__":
    main()
