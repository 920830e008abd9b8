"""Fake runner that hands decoding to a library call with no streamer: timed by a forward hook."""
import argparse

from evaluation.eval import run_eval
from model.fake.model import FakeBlockModel, FakeTokenizer


def blocks_forward(inputs, model, tokenizer, max_new_tokens, block=3):
    output_ids, accept_length_list = model.decode_blocks(inputs.input_ids, max_new_tokens, block=block)
    new_token = sum(accept_length_list)
    return output_ids, new_token, len(accept_length_list), accept_length_list


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--model-path", type=str, required=True)
    parser.add_argument("--block", type=int, default=3)
    args = parser.parse_args()

    model = FakeBlockModel.from_pretrained(args.model_path, low_cpu_mem_usage=True)
    run_eval(model=model, tokenizer=FakeTokenizer(), forward_func=blocks_forward, model_id="fake",
             question_file=None, question_begin=None, question_end=None, answer_file=None,
             max_new_tokens=1024, num_choices=1, num_gpus_per_model=1, num_gpus_total=1, block=args.block)
