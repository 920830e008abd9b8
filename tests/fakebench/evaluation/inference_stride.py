"""Fake runner with an inline decoding loop that accepts `stride` tokens a step."""
import argparse

import torch
from fastchat.utils import str_to_torch_dtype

from evaluation.eval import run_eval, reorg_answer_file
from model.fake.model import FakeModel, FakeTokenizer


def stride_forward(inputs, model, tokenizer, max_new_tokens, stride=3, max_steps=100):
    input_ids = inputs.input_ids.clone()
    input_len = input_ids.shape[1]
    accept_length_list = []
    new_token = 0
    for idx in range(max_steps):
        for _ in range(stride):
            input_ids = torch.cat([input_ids, model(input_ids).to(model.weight.device)], dim=-1)
        new_token += stride
        accept_length_list.append(stride)
        if tokenizer.eos_token_id in input_ids[0, input_len:].tolist():
            break
        if new_token > max_new_tokens:
            break
    return input_ids, new_token, idx + 1, accept_length_list


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--model-path", type=str, required=True)
    parser.add_argument("--model-id", type=str, required=True)
    parser.add_argument("--answer-file", type=str)
    parser.add_argument("--max-new-tokens", type=int, default=1024)
    parser.add_argument("--stride", type=int, default=3)
    parser.add_argument("--dtype", type=str, default="float16")
    args = parser.parse_args()

    model = FakeModel.from_pretrained(args.model_path, torch_dtype=str_to_torch_dtype(args.dtype), device_map="auto")
    tokenizer = FakeTokenizer.from_pretrained(args.model_path)

    run_eval(
        model=model,
        tokenizer=tokenizer,
        forward_func=stride_forward,
        model_id=args.model_id,
        question_file="questions.jsonl",
        question_begin=None,
        question_end=None,
        answer_file=args.answer_file,
        max_new_tokens=args.max_new_tokens,
        num_choices=1,
        num_gpus_per_model=1,
        num_gpus_total=1,
        stride=args.stride,
    )
    reorg_answer_file(args.answer_file)
