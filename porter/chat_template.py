"""Vicuna chat template for specdec_bench, and a token-level parity check against Spec-Bench.

Spec-Bench builds each prompt with fastchat's "vicuna" conversation (``vicuna_v1.1``) and tokenizes it
with ``tokenizer([prompt])``, which adds BOS. specdec_bench renders ``tokenizer.apply_chat_template(
messages, tokenize=False, add_generation_prompt=True)`` and encodes the string with
``add_special_tokens=False``. ``VICUNA_CHAT_TEMPLATE`` makes the second path produce the token ids of the
first. ``check_parity`` builds both token lists and names every difference it finds.

Message mapping:
  - a first ``system`` message replaces the vicuna default system message, as fastchat's
    ``Conversation.set_system_message`` does. Without one the default is used, as Spec-Bench always does.
  - ``user`` and ``assistant`` messages must alternate, starting with ``user``.
  - an assistant message gets the post-processing that Spec-Bench applies to a generated answer before
    it goes into the next turn's prompt. The text is cut at the first ``</s>`` found after position 0,
    every special token string of the tokenizer is removed, and surrounding whitespace is stripped.

fastchat (package ``fschat``) is imported only by the parity check.
"""

import json
import re
from bisect import bisect_right
from dataclasses import dataclass
from difflib import SequenceMatcher
from json.decoder import scanstring
from pathlib import Path

VICUNA_SYSTEM_MESSAGE = (
    "A chat between a curious user and an artificial intelligence assistant. "
    "The assistant gives helpful, detailed, and polite answers to the user's questions."
)

# Spec-Bench's evaluation loop sets this stop string on the vicuna conversation and cuts each generated answer at it.
SPEC_BENCH_STOP_STRING = "</s>"

# Spec-Bench calls fastchat's get_conversation_template with this model id.
SPEC_BENCH_CONVERSATION_ID = "vicuna"

# NOTE: a slow LlamaTokenizer with legacy=False encodes the text right after a literal "<s>" without the
# word-start marker, so its first token differs from Spec-Bench's (checked with transformers 4.37.1).
# check_parity names this "text after BOS tokenizes differently". Fast tokenizers and legacy=True match.
VICUNA_CHAT_TEMPLATE = (
    "{#- Vicuna v1.1 prompt as fastchat's vicuna_v1.1 conversation builds it, with BOS as text. -#}\n"
    "{%- if messages and messages[0]['role'] == 'system' -%}\n"
    "    {%- set system_message = messages[0]['content'] -%}\n"
    "    {%- set loop_messages = messages[1:] -%}\n"
    "{%- else -%}\n"
    f"    {{%- set system_message = {VICUNA_SYSTEM_MESSAGE!r} -%}}\n"
    "    {%- set loop_messages = messages -%}\n"
    "{%- endif -%}\n"
    "{%- set special_tokens = [bos_token, eos_token, unk_token, sep_token, pad_token, cls_token, mask_token]"
    " + (additional_special_tokens or []) -%}\n"
    "{{- (bos_token if bos_token else '') + system_message + ' ' -}}\n"
    "{%- for message in loop_messages -%}\n"
    "    {%- set expected_role = 'user' if loop.index0 % 2 == 0 else 'assistant' -%}\n"
    "    {%- if message['role'] != expected_role -%}\n"
    "        {{- raise_exception('vicuna chat template: message ' ~ loop.index ~ ' after the system message has"
    " role ' ~ message['role'] ~ ', expected ' ~ expected_role ~ '. Put the system message first and"
    " alternate user and assistant messages.') -}}\n"
    "    {%- endif -%}\n"
    "    {%- if message['role'] == 'user' -%}\n"
    "        {%- set role = 'USER' -%}\n"
    "        {%- set text = message['content'] or '' -%}\n"
    "        {%- set separator = ' ' -%}\n"
    "    {%- else -%}\n"
    "        {%- set role = 'ASSISTANT' -%}\n"
    "        {%- set answer = namespace(text=message['content'] or '') -%}\n"
    "        {%- if answer.text.find('</s>') > 0 -%}\n"
    "            {%- set answer.text = answer.text[:answer.text.find('</s>')] -%}\n"
    "        {%- endif -%}\n"
    "        {%- for token in special_tokens if token -%}\n"
    "            {%- set answer.text = answer.text.replace(token, '') -%}\n"
    "        {%- endfor -%}\n"
    "        {%- set text = answer.text | trim -%}\n"
    "        {%- set separator = '</s>' -%}\n"
    "    {%- endif -%}\n"
    "    {%- if text -%}\n"
    "        {{- role + ': ' + text + separator -}}\n"
    "    {%- else -%}\n"
    "        {{- role + ':' -}}\n"
    "    {%- endif -%}\n"
    "{%- endfor -%}\n"
    "{%- if add_generation_prompt -%}\n"
    "    {{- 'ASSISTANT:' -}}\n"
    "{%- endif -%}\n"
)


# --- tokenizer_config.json text -------------------------------------------------------------------


@dataclass(frozen=True)
class JsonMember:
    """One top-level member of a JSON object, as character offsets into the file text."""

    key: str
    key_start: int
    key_end: int
    value_start: int
    value_end: int


def _skip_whitespace(text: str, index: int) -> int:
    while index < len(text) and text[index] in " \t\r\n":
        index += 1
    return index


def parse_top_level_members(text: str) -> list[JsonMember]:
    """Locate the members of the top-level JSON object in ``text``.

    Raises ValueError when the text is not valid JSON or its top level is not an object.
    """
    json.loads(text)
    decoder = json.JSONDecoder()
    index = _skip_whitespace(text, 0)
    if index >= len(text) or text[index] != "{":
        raise ValueError("the top level of tokenizer_config.json is not a JSON object")
    index = _skip_whitespace(text, index + 1)

    members = []
    if text[index] == "}":
        return members
    while True:
        key_start = index
        key, key_end = scanstring(text, key_start + 1)
        index = _skip_whitespace(text, key_end)
        value_start = _skip_whitespace(text, index + 1)
        _, value_end = decoder.raw_decode(text, value_start)
        members.append(JsonMember(key, key_start, key_end, value_start, value_end))

        index = _skip_whitespace(text, value_end)
        if text[index] == "}":
            return members
        index = _skip_whitespace(text, index + 1)


def read_chat_template(config_text: str) -> str | None:
    """Return the chat template stored in tokenizer_config.json text, or None when there is none.

    A list of named templates (the form newer transformers write) yields the one named "default".
    """
    template = json.loads(config_text).get("chat_template")
    if isinstance(template, list):
        named = {entry.get("name"): entry.get("template") for entry in template if isinstance(entry, dict)}
        return named.get("default")
    return template


def _member_text(key: str, value: str, key_value_separator: str, ensure_ascii: bool) -> str:
    return json.dumps(key) + key_value_separator + json.dumps(value, ensure_ascii=ensure_ascii)


def _escapes_non_ascii(text: str) -> bool:
    """Tell whether a JSON text was written with ensure_ascii=True.

    Raw non-ASCII characters mean False, and so does a file with neither form, because transformers
    writes tokenizer_config.json with ensure_ascii=False.
    """
    if any(ord(character) > 127 for character in text):
        return False
    return re.search(r"\\u(?!00[0-7])[0-9a-fA-F]{4}", text) is not None


def insert_chat_template(config_text: str, template: str) -> str:
    """Set "chat_template" in tokenizer_config.json text and change nothing else.

    An existing value is replaced in place. A new member goes to its sorted position when
    the keys are sorted (as transformers writes them), else to the end. The new text copies the
    file's indentation, separators and non-ASCII escaping. Running it twice gives the same text.
    Raises ValueError when the text is not a JSON object.
    """
    members = parse_top_level_members(config_text)
    ensure_ascii = _escapes_non_ascii(config_text)
    value_text = json.dumps(template, ensure_ascii=ensure_ascii)

    existing = [member for member in members if member.key == "chat_template"]
    if existing:
        result = config_text
        for member in reversed(existing):
            result = result[: member.value_start] + value_text + result[member.value_end :]
        return result

    if not members:
        closing = config_text.rindex("}")
        opening = config_text.index("{")
        member_text = _member_text("chat_template", template, ": ", ensure_ascii)
        return config_text[: opening + 1] + "\n  " + member_text + "\n" + config_text[closing:]

    first = members[0]
    key_value_separator = config_text[first.key_end : first.value_start]
    member_text = _member_text("chat_template", template, key_value_separator, ensure_ascii)

    keys = [member.key for member in members]
    position = bisect_right(keys, "chat_template") if keys == sorted(keys) else len(members)

    if position < len(members):
        following = members[position]
        leading_space = _leading_space(config_text, members, position)
        insertion = member_text + "," + leading_space
        return config_text[: following.key_start] + insertion + config_text[following.key_start :]

    last = members[-1]
    leading_space = _leading_space(config_text, members, len(members) - 1)
    insertion = "," + leading_space + member_text
    return config_text[: last.value_end] + insertion + config_text[last.value_end :]


def _leading_space(text: str, members: list[JsonMember], index: int) -> str:
    """Return the whitespace between member ``index`` and the comma or brace before it."""
    start = members[index].key_start
    before = text.rindex("{" if index == 0 else ",", 0, start)
    return text[before + 1 : start]


def write_chat_template(config_path: Path, template: str) -> bool:
    """Set "chat_template" in a tokenizer_config.json file. Returns True when the file changed."""
    original = config_path.read_text(encoding="utf-8")
    updated = insert_chat_template(original, template)
    if updated == original:
        return False
    config_path.write_text(updated, encoding="utf-8")
    return True


# --- the two prompt paths -------------------------------------------------------------------------


@dataclass(frozen=True)
class Conversation:
    """A parity case: the user messages of each turn and the raw decoded answers between them.

    ``assistant_messages[i]`` is the answer to ``user_messages[i]`` as the model decoded it, before
    Spec-Bench's post-processing. The last turn needs no answer.
    """

    name: str
    user_messages: tuple[str, ...]
    assistant_messages: tuple[str, ...] = ()
    system_message: str | None = None

    def __post_init__(self):
        if not self.user_messages:
            raise ValueError(f"conversation {self.name!r} has no user message; add at least one turn")
        if len(self.assistant_messages) < len(self.user_messages) - 1:
            raise ValueError(
                f"conversation {self.name!r} has {len(self.user_messages)} user messages but only "
                f"{len(self.assistant_messages)} assistant messages; give an answer for every turn but the last"
            )


def specbench_answer_text(raw_answer: str, special_tokens: list[str]) -> str:
    """Post-process a decoded answer the way Spec-Bench's evaluation loop does before the next turn."""
    answer = raw_answer
    stop_index = answer.find(SPEC_BENCH_STOP_STRING)
    if stop_index > 0:
        answer = answer[:stop_index]

    for token in special_tokens:
        answer = answer.replace(token, "")

    return answer.strip()


def special_token_strings(tokenizer) -> list[str]:
    """List the tokenizer's special token strings in ``special_tokens_map`` order."""
    strings = []
    for value in tokenizer.special_tokens_map.values():
        strings.extend(value if isinstance(value, list) else [value])
    return strings


def specbench_conversations(conversation: Conversation, tokenizer) -> list:
    """Build one fastchat conversation per turn, as Spec-Bench has it when it tokenizes that turn."""
    from fastchat.model import get_conversation_template

    special_tokens = special_token_strings(tokenizer)
    states = []
    for turn in range(1, len(conversation.user_messages) + 1):
        conv = get_conversation_template(SPEC_BENCH_CONVERSATION_ID)
        if conversation.system_message is not None:
            conv.set_system_message(conversation.system_message)

        for index in range(turn):
            conv.append_message(conv.roles[0], conversation.user_messages[index])
            conv.append_message(conv.roles[1], None)
            if index < turn - 1:
                raw_answer = conversation.assistant_messages[index]
                conv.messages[-1][-1] = specbench_answer_text(raw_answer, special_tokens)

        states.append(conv)
    return states


def chat_messages(conversation: Conversation, turn: int) -> list[dict]:
    """Build the ``messages`` that specdec_bench passes to the chat template at ``turn`` (1-based)."""
    messages = []
    if conversation.system_message is not None:
        messages.append({"role": "system", "content": conversation.system_message})

    for index in range(turn):
        messages.append({"role": "user", "content": conversation.user_messages[index]})
        if index < turn - 1:
            messages.append({"role": "assistant", "content": conversation.assistant_messages[index]})
    return messages


def specbench_prompt_ids(tokenizer, prompt: str) -> list[int]:
    """Encode a prompt as Spec-Bench does: a batch of one, special tokens added by the tokenizer."""
    return list(tokenizer([prompt]).input_ids[0])


def render_chat_template(tokenizer, messages: list[dict], template: str) -> str:
    """Render ``messages`` as specdec_bench does, with ``template`` in place of the tokenizer's own."""
    return tokenizer.apply_chat_template(
        messages, chat_template=template, tokenize=False, add_generation_prompt=True
    )


def specdec_bench_prompt_ids(tokenizer, rendered: str) -> list[int]:
    """Encode a rendered chat template as specdec_bench does, without adding special tokens."""
    return list(tokenizer.encode(rendered, add_special_tokens=False))


# --- diagnosis ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Segment:
    """A labelled piece of the reference prompt text, at ``start`` characters into it."""

    label: str
    text: str
    start: int
    message: str

    @property
    def end(self) -> int:
        return self.start + len(self.text)


@dataclass(frozen=True)
class Difference:
    """A named cause of differing token ids, at the first turn whose prompt shows it (1-based)."""

    name: str
    turn: int
    detail: str


@dataclass(frozen=True)
class TokenMismatch:
    """The first token position where the reference ids and the template ids differ."""

    turn: int
    position: int
    reference_token: str | None
    template_token: str | None


@dataclass(frozen=True)
class CaseReport:
    """Parity result of one conversation: named differences and the first token mismatch."""

    conversation: Conversation
    differences: tuple[Difference, ...]
    first_mismatch: TokenMismatch | None
    prompt_lengths: tuple[tuple[int, int], ...]

    @property
    def matches(self) -> bool:
        return self.first_mismatch is None


def label_prompt_segments(conv) -> list[Segment]:
    """Split a fastchat vicuna prompt into labelled segments whose texts join to ``get_prompt()``.

    Returns a single "prompt" segment when the conversation does not use vicuna's separator style.
    """
    from fastchat.conversation import SeparatorStyle

    prompt = conv.get_prompt()
    if conv.sep_style != SeparatorStyle.ADD_COLON_TWO:
        return [Segment("prompt", prompt, 0, "prompt")]

    system_label = "system message" if conv.system_message != VICUNA_SYSTEM_MESSAGE else "default system message"
    pieces = [
        (system_label, conv.system_template.format(system_message=conv.system_message), "system message"),
        ("space after system message", conv.sep, "system message"),
    ]

    separators = (conv.sep, conv.sep2)
    counts = {}
    for index, (role, message) in enumerate(conv.messages):
        kind = "user" if role == conv.roles[0] else "assistant"
        counts[kind] = counts.get(kind, 0) + 1
        where = f"{kind} message {counts[kind]}"
        is_last = index == len(conv.messages) - 1

        if message is None and is_last and kind == "assistant":
            pieces.append((f"generation prompt '{role}:'", role + ":", "generation prompt"))
        elif not message:
            pieces.append((f"'{role}:' for an empty {kind} message", role + ":", where))
        else:
            pieces.append((f"'{role}: ' prefix", role + ": ", where))
            pieces.append((f"{kind} message", message, where))
            separator_label = "space after user message" if index % 2 == 0 else "separator between turns"
            pieces.append((separator_label, separators[index % 2], where))

    segments = []
    offset = 0
    for label, text, message_name in pieces:
        segments.append(Segment(label, text, offset, message_name))
        offset += len(text)

    if "".join(segment.text for segment in segments) != prompt:
        return [Segment("prompt", prompt, 0, "prompt")]
    return segments


def _snippet(text: str, limit: int = 40) -> str:
    return repr(text if len(text) <= limit else text[: limit - 3] + "...")


def _segment_at(segments: list[Segment], offset: int) -> Segment | None:
    for segment in segments:
        if segment.start <= offset < segment.end:
            return segment
    return None


def diagnose_text(reference: str, rendered: str, segments: list[Segment]) -> list[tuple[str, str]]:
    """Name the reference segments that the rendered text drops, changes or adds to.

    Returns (name, detail) pairs in prompt order. Both texts exclude BOS.
    """
    found = []
    matcher = SequenceMatcher(None, reference, rendered, autojunk=False)
    for operation, ref_start, ref_end, out_start, out_end in matcher.get_opcodes():
        if operation == "equal":
            continue

        out_text = rendered[out_start:out_end]

        if operation == "insert":
            before = _segment_at(segments, ref_start - 1) if ref_start > 0 else None
            after = _segment_at(segments, ref_start)
            if before is not None and before is after:
                detail = f"{before.message}: template inserts {_snippet(out_text)} into {_snippet(before.text)}"
                found.append((f"{before.label} differs", detail))
            elif before is None:
                found.append(("extra text at start", f"template adds {_snippet(out_text)}"))
            else:
                detail = f"{before.message}: template adds {_snippet(out_text)}"
                found.append((f"extra text after {before.label}", detail))
            continue

        for segment in segments:
            if segment.end <= ref_start or segment.start >= ref_end or not segment.text:
                continue
            covered = ref_start <= segment.start and segment.end <= ref_end
            ref_text = reference[max(ref_start, segment.start) : min(ref_end, segment.end)]
            detail = f"{segment.message}: reference {_snippet(ref_text)}, template {_snippet(out_text)}"
            if operation == "delete" and covered:
                name = f"{segment.label} missing"
            elif operation == "delete":
                name = f"{segment.label} partly missing"
            else:
                name = f"{segment.label} differs"
            found.append((name, detail))
    return found


def _leading_bos_count(ids: list[int], bos_id: int | None) -> int:
    count = 0
    while bos_id is not None and count < len(ids) and ids[count] == bos_id:
        count += 1
    return count


def diagnose_tokens(
    tokenizer, reference_ids: list[int], template_ids: list[int], reference_text: str, rendered: str, segments
) -> list[tuple[str, str]]:
    """Name the causes of differing token ids for one prompt. Returns (name, detail) pairs."""
    if reference_ids == template_ids:
        return []

    bos_id = tokenizer.bos_token_id
    bos_text = tokenizer.bos_token or ""
    reference_bos = _leading_bos_count(reference_ids, bos_id)
    template_bos = _leading_bos_count(template_ids, bos_id)
    rendered_body = rendered
    while bos_text and rendered_body.startswith(bos_text):
        rendered_body = rendered_body[len(bos_text) :]
    bos_as_text = rendered_body != rendered

    found = []
    if bos_as_text and template_bos == 0:
        found.append(
            ("BOS text not encoded as the BOS token", f"{bos_text!r} in the rendered text did not become id {bos_id}")
        )
    elif template_bos < reference_bos:
        found.append(("BOS missing", f"reference starts with BOS id {bos_id}, template ids do not"))
    elif template_bos > reference_bos:
        found.append(("extra BOS", f"reference has {reference_bos} leading BOS, template ids have {template_bos}"))

    if reference_text != rendered_body:
        found.extend(diagnose_text(reference_text, rendered_body, segments))
        return found or [("token ids differ", "texts differ but no segment was named")]

    if found and bos_as_text and template_bos == 0:
        return found

    reference_body = reference_ids[reference_bos:]
    template_body = template_ids[template_bos:]
    if reference_body != template_body:
        position = _first_mismatch_position(reference_body, template_body)
        tokens = _token_pair(tokenizer, reference_body, template_body, position)
        if position == 0 and reference_bos:
            found.append(("text after BOS tokenizes differently", f"same text, first tokens {tokens}"))
        else:
            found.append(("same text tokenizes differently", f"at token {position + reference_bos}: {tokens}"))
    return found


def _first_mismatch_position(first: list[int], second: list[int]) -> int:
    for position, (left, right) in enumerate(zip(first, second)):
        if left != right:
            return position
    return min(len(first), len(second))


def _token_string(tokenizer, ids: list[int], position: int) -> str | None:
    if position >= len(ids):
        return None
    return tokenizer.convert_ids_to_tokens(ids[position])


def _token_pair(tokenizer, reference_ids, template_ids, position) -> str:
    reference_token = _token_string(tokenizer, reference_ids, position)
    template_token = _token_string(tokenizer, template_ids, position)
    return f"reference {reference_token!r}, template {template_token!r}"


def check_conversation(tokenizer, conversation: Conversation, template: str) -> CaseReport:
    """Compare Spec-Bench's and the template's token ids at every turn of one conversation."""
    from jinja2.exceptions import TemplateError

    differences = {}
    first_mismatch = None
    lengths = []
    for turn, conv in enumerate(specbench_conversations(conversation, tokenizer), start=1):
        reference_text = conv.get_prompt()
        reference_ids = specbench_prompt_ids(tokenizer, reference_text)

        try:
            rendered = render_chat_template(tokenizer, chat_messages(conversation, turn), template)
        except TemplateError as error:
            name = "template rendering failed"
            differences.setdefault(name, Difference(name, turn, str(error)))
            first_mismatch = first_mismatch or TokenMismatch(turn, 0, _token_string(tokenizer, reference_ids, 0), None)
            lengths.append((len(reference_ids), 0))
            continue

        template_ids = specdec_bench_prompt_ids(tokenizer, rendered)
        lengths.append((len(reference_ids), len(template_ids)))
        if reference_ids == template_ids:
            continue

        if first_mismatch is None:
            position = _first_mismatch_position(reference_ids, template_ids)
            first_mismatch = TokenMismatch(
                turn,
                position,
                _token_string(tokenizer, reference_ids, position),
                _token_string(tokenizer, template_ids, position),
            )

        segments = label_prompt_segments(conv)
        for name, detail in diagnose_tokens(tokenizer, reference_ids, template_ids, reference_text, rendered, segments):
            differences.setdefault(name, Difference(name, turn, detail))

    return CaseReport(conversation, tuple(differences.values()), first_mismatch, tuple(lengths))


def check_parity(tokenizer, conversations, template: str) -> list[CaseReport]:
    """Run the parity check on every conversation with one tokenizer and one chat template."""
    return [check_conversation(tokenizer, conversation, template) for conversation in conversations]


# --- built-in cases and the report ----------------------------------------------------------------

_QUESTIONS = (
    "Name three renewable energy sources and give one drawback of each.",
    "Rewrite your previous answer as a table with two columns.\n",
    "Now summarize the table in one sentence for a ten-year-old.",
)

# Raw decoded answers as a runner returns them: surrounding whitespace and a trailing EOS,
# which Spec-Bench strips before the next turn.
_ANSWERS = (
    " Solar power, which depends on daylight; wind power, which varies with the weather; and"
    " hydropower, which needs a suitable river.\n</s>",
    "| Source | Drawback |\n|---|---|\n| Solar | needs daylight |\n| Wind | varies |\n| Hydro | needs a river |  ",
)

_SYSTEM_MESSAGE = "You are a concise assistant. Answer in plain English."

BUILTIN_CONVERSATIONS = (
    Conversation("one turn, default system message", _QUESTIONS[:1]),
    Conversation("one turn, system message", _QUESTIONS[:1], system_message=_SYSTEM_MESSAGE),
    Conversation("three turns, default system message", _QUESTIONS, _ANSWERS),
    Conversation("three turns, system message", _QUESTIONS, _ANSWERS, system_message=_SYSTEM_MESSAGE),
)


def format_report(reports: list[CaseReport], template_source: str) -> str:
    """Render parity reports as text lines, one block per case and a summary line at the end."""
    lines = [f"chat template: {template_source}"]
    for report in reports:
        name = report.conversation.name
        reference_lengths = ", ".join(str(reference) for reference, _ in report.prompt_lengths)
        if report.matches:
            lines.append(f"ok    {name}: token ids identical (prompt lengths per turn: {reference_lengths})")
            continue

        mismatch = report.first_mismatch
        lines.append(
            f"FAIL  {name}: {len(report.differences)} difference(s); first differing token at turn "
            f"{mismatch.turn}, position {mismatch.position}: reference {mismatch.reference_token!r}, "
            f"template {mismatch.template_token!r}"
        )
        for difference in report.differences:
            lines.append(f"      - {difference.name} (turn {difference.turn}): {difference.detail}")

    matching = sum(report.matches for report in reports)
    lines.append(f"{matching} of {len(reports)} cases match Spec-Bench token for token")
    return "\n".join(lines) + "\n"
