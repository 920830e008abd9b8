"""Fake runner that hands decoding to a library call that feeds a streamer each step."""
import argparse

from evaluation.eval import run_eval
from model.fake.model import FakeModel, FakeTokenizer


def streamed_forward(inputs, model, tokenizer, max_new_tokens):
    output_ids, accept_length_list = model.generate(inputs.input_ids, max_new_tokens=max_new_tokens)
    new_token = len(output_ids[0]) - len(inputs.input_ids[0])
    return output_ids, new_token, len(accept_length_list), accept_length_list


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--model-path", type=str, required=True)
    parser.add_argument("--max-new-tokens", type=int, default=1024)
    args = parser.parse_args()

    model = FakeModel.from_pretrained(args.model_path, device_map="auto")
    run_eval(model=model, tokenizer=FakeTokenizer(), forward_func=streamed_forward, model_id="fake",
             question_file=None, question_begin=None, question_end=None, answer_file=None,
             max_new_tokens=args.max_new_tokens, num_choices=1, num_gpus_per_model=1, num_gpus_total=1)
