#!/usr/bin/python3
"""Writes MODEL/mtp_draft_vocab.json for an exported demo model (the pipeline's draft-vocabulary stage on its own).

    /usr/bin/python3 tools/train-demo-model/draft_vocab.py --model models/longcat-demo
"""
import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from demo import bpe, draftvocab, kjv  # noqa: E402
from train import draft_vocab_stage  # noqa: E402


def main():
    a = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    a.add_argument("--model", default="models/longcat-demo")
    a.add_argument("--seed", type=int, default=1234)
    a.add_argument("--mix", default="0.30,0.30,0.40")
    args = a.parse_args()
    with open(os.path.join(args.model, "tokenizer.json"), encoding="utf-8") as f:
        tok = bpe.Tokenizer(json.load(f))
    train_v, _ = kjv.split(kjv.load_verses())
    print(json.dumps(draft_vocab_stage(args.model, tok, train_v, args.seed, args.mix, quick=False)))


if __name__ == "__main__":
    main()
