"""Generate answers with prompt lookup decoding ("ngram"), a drafter-free speculative method.

Usage, from the minibench root:
python -m evaluation.inference_ngram --model-path PATH --model-id tiny-ngram --bench-name mini_bench
"""

import argparse

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

from evaluation.eval import run_eval, reorg_answer_file
from model.ngram.utils import *


def ngram_forward(inputs, model, tokenizer, max_new_tokens, ngram_size=3, num_draft=8, max_steps=512):
    input_ids = inputs.input_ids.to(device=model.device)
    assert input_ids.shape[0] == 1, "ngram_forward decodes one sequence at a time"
    input_ids = input_ids.clone()
    input_len = input_ids.shape[1]
    accept_length_list = []
    new_token = 0

    # The cache always covers every token except the last one, which the next step feeds.
    past_key_values = None
    if input_len > 1:
        outputs = model(input_ids[:, :-1], use_cache=True)
        past_key_values = outputs.past_key_values

    for idx in range(max_steps):
        candidates = find_candidate_tokens(input_ids, ngram_size, num_draft)
        verify_ids = torch.cat([input_ids[:, -1:], candidates.unsqueeze(0)], dim=-1)
        outputs = model(verify_ids, past_key_values=past_key_values, use_cache=True)
        predictions = outputs.logits[0].argmax(dim=-1)

        matches = (candidates == predictions[:-1]).int()
        num_matched = int(matches.cumprod(dim=0).sum().item())
        accepted = torch.cat([candidates[:num_matched], predictions[num_matched : num_matched + 1]])
        input_ids = torch.cat([input_ids, accepted.unsqueeze(0)], dim=-1)

        past_key_values = crop_past_key_values(outputs.past_key_values, input_ids.shape[1] - 1)
        new_token += accepted.shape[0]
        accept_length_list.append(accepted.shape[0])
        if tokenizer.eos_token_id in input_ids[0, input_len:].tolist():
            break
        if new_token > max_new_tokens:
            break
    return input_ids, new_token, idx + 1, accept_length_list


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "--model-path",
        type=str,
        required=True,
        help="The path to the weights: a local folder or a Hugging Face repo ID.",
    )
    parser.add_argument("--model-id", type=str, required=True, help="A custom name for the model.")
    parser.add_argument(
        "--bench-name",
        type=str,
        default="mini_bench",
        help="The name of the question set under data/.",
    )
    parser.add_argument("--question-begin", type=int, help="A debug option. The index of the first question.")
    parser.add_argument("--question-end", type=int, help="A debug option. The index after the last question.")
    parser.add_argument("--answer-file", type=str, help="The output answer file.")
    parser.add_argument(
        "--max-new-tokens",
        type=int,
        default=1024,
        help="The maximum number of new tokens per turn.",
    )
    parser.add_argument(
        "--num-choices", type=int, default=1, help="How many completions to generate per question."
    )
    parser.add_argument("--num-gpus-per-model", type=int, default=1, help="The number of GPUs per model.")
    parser.add_argument("--num-gpus-total", type=int, default=1, help="The total number of GPUs.")
    parser.add_argument(
        "--temperature",
        type=float,
        default=0.0,
        help="The sampling temperature. Only 0.0 (greedy) is supported.",
    )
    parser.add_argument(
        "--dtype",
        type=str,
        default="float16",
        choices=["float32", "float64", "float16", "bfloat16"],
        help="The dtype of the model weights.",
    )
    parser.add_argument(
        "--ngram-size",
        type=int,
        default=3,
        help="The number of trailing tokens to look up in the earlier text.",
    )
    parser.add_argument(
        "--num-draft",
        type=int,
        default=8,
        help="The maximum number of draft tokens verified per step.",
    )
    parser.add_argument(
        "--max-steps",
        type=int,
        default=512,
        help="The maximum number of decoding steps per turn.",
    )

    args = parser.parse_args()

    if args.temperature > 0:
        parser.error(f"ngram decoding is greedy only, so --temperature must be 0.0, not {args.temperature}")

    question_file = f"data/{args.bench_name}/question.jsonl"
    if args.answer_file:
        answer_file = args.answer_file
    else:
        answer_file = f"data/{args.bench_name}/model_answer/{args.model_id}.jsonl"

    print(f"Output to {answer_file}")

    model = AutoModelForCausalLM.from_pretrained(
        args.model_path,
        torch_dtype=TORCH_DTYPES[args.dtype],
        low_cpu_mem_usage=True,
        device_map="auto",
    )

    tokenizer = AutoTokenizer.from_pretrained(args.model_path)

    run_eval(
        model=model,
        tokenizer=tokenizer,
        forward_func=ngram_forward,
        model_id=args.model_id,
        question_file=question_file,
        question_begin=args.question_begin,
        question_end=args.question_end,
        answer_file=answer_file,
        max_new_tokens=args.max_new_tokens,
        num_choices=args.num_choices,
        num_gpus_per_model=args.num_gpus_per_model,
        num_gpus_total=args.num_gpus_total,
        ngram_size=args.ngram_size,
        num_draft=args.num_draft,
        max_steps=args.max_steps,
    )

    reorg_answer_file(answer_file)
