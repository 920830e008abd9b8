"""A small answer-generation harness with the interface of Spec-Bench's evaluation/eval.py.

It runs in one process on whatever device the model is on, needs no fastchat, and writes one JSON
line per question in the answer-file layout of Spec-Bench.
"""

import json
import os
import time
import uuid

import torch

SYSTEM_PROMPT = "The following is a conversation between a user and a helpful assistant."


def load_questions(question_file, question_begin, question_end):
    """Read a JSON-lines question file and return the questions in [question_begin, question_end)."""
    with open(question_file) as fin:
        questions = [json.loads(line) for line in fin if line.strip()]
    return questions[question_begin:question_end]


def build_prompt(questions, answers):
    """Build a chat prompt from the turns asked so far and the answers already given."""
    lines = [SYSTEM_PROMPT]
    for turn, question in enumerate(questions):
        lines.append(f"USER: {question}")
        if turn < len(answers):
            lines.append(f"ASSISTANT: {answers[turn]}")
        else:
            lines.append("ASSISTANT:")
    return "\n".join(lines)


def decode_answer(tokenizer, output_ids):
    """Decode generated ids up to the first EOS token, because forward functions keep EOS and what follows."""
    output_ids = output_ids.tolist()
    if tokenizer.eos_token_id in output_ids:
        output_ids = output_ids[: output_ids.index(tokenizer.eos_token_id)]
    return tokenizer.decode(output_ids, skip_special_tokens=True).strip()


def synchronize(device):
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def generate_turn(model, tokenizer, forward_func, prompt, max_new_tokens, **kwargs):
    """Run forward_func on one prompt and return the answer text with its step, token and time counts."""
    inputs = tokenizer([prompt], return_tensors="pt").to(model.device)
    prompt_len = inputs.input_ids.shape[1]

    synchronize(model.device)
    start_time = time.time()
    output_ids, new_token, step, accept_lengths = forward_func(
        inputs, model, tokenizer, max_new_tokens, **kwargs
    )
    synchronize(model.device)
    wall_time = time.time() - start_time

    output = decode_answer(tokenizer, output_ids[0][prompt_len:])
    return output, int(step), int(new_token), wall_time, list(accept_lengths)


def answer_question(model, tokenizer, forward_func, question, choice_index, max_new_tokens, **kwargs):
    """Answer every turn of one question and return one entry of the answer's "choices" list."""
    choice = {
        "index": choice_index,
        "turns": [],
        "decoding_steps": [],
        "new_tokens": [],
        "wall_time": [],
        "accept_lengths": [],
    }
    for turn in range(len(question["turns"])):
        prompt = build_prompt(question["turns"][: turn + 1], choice["turns"])
        output, step, new_token, wall_time, accept_lengths = generate_turn(
            model, tokenizer, forward_func, prompt, max_new_tokens, **kwargs
        )
        choice["turns"].append(output)
        choice["decoding_steps"].append(step)
        choice["new_tokens"].append(new_token)
        choice["wall_time"].append(wall_time)
        choice["accept_lengths"].extend(accept_lengths)
    return choice


def write_answer(answer_file, answer):
    os.makedirs(os.path.dirname(os.path.abspath(answer_file)), exist_ok=True)
    with open(answer_file, "a") as fout:
        fout.write(json.dumps(answer) + "\n")


def run_eval(
    model,
    tokenizer,
    forward_func,
    model_id,
    question_file,
    question_begin,
    question_end,
    answer_file,
    max_new_tokens,
    num_choices,
    num_gpus_per_model,
    num_gpus_total,
    **kwargs,
):
    """Answer the selected questions with forward_func and append the answers to answer_file.

    Extra keyword arguments are passed on to every forward_func call.
    """
    if num_gpus_total % num_gpus_per_model != 0:
        raise ValueError(
            f"num_gpus_total ({num_gpus_total}) is not a multiple of num_gpus_per_model ({num_gpus_per_model})"
        )
    num_replicas = num_gpus_total // num_gpus_per_model
    if num_replicas > 1:
        raise ValueError(
            f"num_gpus_total / num_gpus_per_model is {num_replicas}, but this harness runs one model replica. "
            "Set num_gpus_total equal to num_gpus_per_model."
        )

    questions = load_questions(question_file, question_begin, question_end)
    if not questions:
        raise ValueError(f"no questions in {question_file} for the range [{question_begin}, {question_end})")

    get_model_answers(
        model,
        tokenizer,
        forward_func,
        model_id,
        questions,
        answer_file,
        max_new_tokens,
        num_choices,
        **kwargs,
    )


@torch.inference_mode()
def get_model_answers(
    model, tokenizer, forward_func, model_id, questions, answer_file, max_new_tokens, num_choices, **kwargs
):
    model.eval()

    # One untimed warm-up turn, so that lazy initialization does not land in the first wall time.
    warmup_prompt = build_prompt(questions[0]["turns"][:1], [])
    generate_turn(model, tokenizer, forward_func, warmup_prompt, max_new_tokens, **kwargs)

    all_accept_lengths = []
    for question in questions:
        choices = []
        for choice_index in range(num_choices):
            torch.manual_seed(choice_index)
            choice = answer_question(
                model, tokenizer, forward_func, question, choice_index, max_new_tokens, **kwargs
            )
            choices.append(choice)
            all_accept_lengths.extend(choice["accept_lengths"])

        write_answer(
            answer_file,
            {
                "question_id": question["question_id"],
                "category": question["category"],
                "answer_id": uuid.uuid4().hex,
                "model_id": model_id,
                "choices": choices,
                "tstamp": time.time(),
            },
        )

    mean_accept_length = sum(all_accept_lengths) / max(len(all_accept_lengths), 1)
    print(f"Mean accept length: {mean_accept_length:.3f} over {len(all_accept_lengths)} steps")


def reorg_answer_file(answer_file):
    """Sort the answer file by question id and keep only the last answer for each question."""
    answers = {}
    with open(answer_file) as fin:
        for line in fin:
            answers[json.loads(line)["question_id"]] = line

    with open(answer_file, "w") as fout:
        for question_id in sorted(answers):
            fout.write(answers[question_id])
