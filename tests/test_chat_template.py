"""Tests for the vicuna chat template, its tokenizer_config.json insertion and `specport chat-template`.

The reference prompts come from the installed fastchat package (fschat), built the way Spec-Bench's
evaluation loop builds them. The tokenizers are made offline: a character-level tokenizer with Llama's
special tokens and word-start marker, and, where sentencepiece is installed, a small sentencepiece
model trained here with Llama's settings.
"""

import io
import json
import string

import pytest
from typer.testing import CliRunner

from porter.chat_template import (
    BUILTIN_CONVERSATIONS,
    VICUNA_CHAT_TEMPLATE,
    VICUNA_SYSTEM_MESSAGE,
    Conversation,
    check_conversation,
    check_parity,
    insert_chat_template,
    read_chat_template,
    specbench_answer_text,
)
from porter.cli import app

fastchat_model = pytest.importorskip("fastchat.model", reason="the reference prompts need fschat")
transformers = pytest.importorskip("transformers", reason="the tokenizers need transformers")

QUESTIONS = (
    "Which planet is closest to the sun?",
    "And which one is the largest?",
    "List both with their diameters in km.",
)
ANSWERS = ("Mercury is closest.", "Jupiter is the largest.")
SYSTEM = "Answer briefly."

# A plausible but wrong vicuna template. It leaves out BOS, the default system message, the space
# before each assistant message and the </s> between turns, and it trims user messages.
GUIDE_TEMPLATE = (
    "{% set ns = namespace(system='') %}{% for m in messages %}{% if m['role'] == 'system' %}"
    "{% set ns.system = m['content'] %}{% endif %}{% endfor %}{{ ns.system | trim }}"
    "{% if ns.system | trim != '' %} {% endif %}{% for m in messages %}{% if m['role'] == 'user' %}"
    "USER: {{ m['content'] | trim }} ASSISTANT:{% elif m['role'] == 'assistant' %}"
    "{{ m['content'] | trim }}{% endif %}{% endfor %}"
)


def build_char_tokenizer():
    """Build a character-level tokenizer that splits and prefixes text the way Llama's fast tokenizer does.

    "<unk>", "<s>" and "</s>" are special tokens with ids 0, 1 and 2, so "</s>" inside text encodes as EOS.
    Each text piece between special tokens gets the word-start marker, and a call with special
    tokens on prepends BOS.
    """
    from tokenizers import AddedToken, Tokenizer, decoders, models, normalizers, processors

    vocab = {"<unk>": 0, "<s>": 1, "</s>": 2, "\u2581": 3}
    for character in string.printable:
        if character != " " and character not in vocab:
            vocab[character] = len(vocab)

    tokenizer = Tokenizer(models.BPE(vocab=vocab, merges=[], unk_token="<unk>"))
    tokenizer.normalizer = normalizers.Sequence([normalizers.Prepend("\u2581"), normalizers.Replace(" ", "\u2581")])
    tokenizer.decoder = decoders.Sequence([decoders.Replace("\u2581", " "), decoders.Strip(" ", 1, 0)])
    special_tokens = [AddedToken(token, special=True, normalized=False) for token in ("<unk>", "<s>", "</s>")]
    tokenizer.add_special_tokens(special_tokens)
    tokenizer.post_processor = processors.TemplateProcessing(single="<s> $A", special_tokens=[("<s>", 1)])

    return transformers.PreTrainedTokenizerFast(
        tokenizer_object=tokenizer, bos_token="<s>", eos_token="</s>", unk_token="<unk>"
    )


@pytest.fixture(scope="module")
def tokenizer():
    return build_char_tokenizer()


def fastchat_prompt(system, questions, answers, turn):
    """Build Spec-Bench's prompt text for ``turn`` (1-based) with fastchat's vicuna conversation."""
    conv = fastchat_model.get_conversation_template("vicuna")
    if system is not None:
        conv.set_system_message(system)
    for index in range(turn):
        conv.append_message(conv.roles[0], questions[index])
        conv.append_message(conv.roles[1], None)
        if index < turn - 1:
            conv.messages[-1][-1] = answers[index]
    return conv.get_prompt()


def template_ids(tokenizer, messages, template=VICUNA_CHAT_TEMPLATE):
    """Encode messages the way specdec_bench's encode_chat does."""
    rendered = tokenizer.apply_chat_template(
        messages, chat_template=template, tokenize=False, add_generation_prompt=True
    )
    return tokenizer.encode(rendered, add_special_tokens=False)


def messages_for(system, questions, answers, turn):
    messages = [] if system is None else [{"role": "system", "content": system}]
    for index in range(turn):
        messages.append({"role": "user", "content": questions[index]})
        if index < turn - 1:
            messages.append({"role": "assistant", "content": answers[index]})
    return messages


# --- the template against fastchat ----------------------------------------------------------------


def test_default_system_message_is_fastchat():
    conv = fastchat_model.get_conversation_template("vicuna")
    assert conv.system_message == VICUNA_SYSTEM_MESSAGE


@pytest.mark.parametrize("system", [None, SYSTEM, ""], ids=["default-system", "system", "empty-system"])
@pytest.mark.parametrize("turns", [1, 3])
def test_template_ids_equal_fastchat(tokenizer, system, turns):
    for turn in range(1, turns + 1):
        expected = tokenizer([fastchat_prompt(system, QUESTIONS, ANSWERS, turn)]).input_ids[0]
        actual = template_ids(tokenizer, messages_for(system, QUESTIONS, ANSWERS, turn))
        assert actual == expected, f"turn {turn}"


@pytest.mark.parametrize("system", [None, SYSTEM], ids=["default-system", "system"])
@pytest.mark.parametrize("turns", [1, 3])
def test_parity_check_zero_differences(tokenizer, system, turns):
    conversation = Conversation("case", QUESTIONS[:turns], ANSWERS[: turns - 1], system_message=system)
    report = check_conversation(tokenizer, conversation, VICUNA_CHAT_TEMPLATE)

    assert report.differences == ()
    assert report.first_mismatch is None
    assert len(report.prompt_lengths) == turns


def test_builtin_cases_cover_turns_and_system(tokenizer):
    shapes = {(len(case.user_messages), case.system_message is not None) for case in BUILTIN_CONVERSATIONS}
    assert shapes == {(1, False), (1, True), (3, False), (3, True)}

    reports = check_parity(tokenizer, BUILTIN_CONVERSATIONS, VICUNA_CHAT_TEMPLATE)
    assert [report.differences for report in reports] == [(), (), (), ()]


def test_raw_answer_becomes_specbench_answer(tokenizer):
    raw_answers = (" Mercury is closest.\n</s>", "\tJupiter is the largest.  </s>Saturn is second.")
    expected_prompt = fastchat_prompt(None, QUESTIONS, ("Mercury is closest.", "Jupiter is the largest."), 3)

    actual = template_ids(tokenizer, messages_for(None, QUESTIONS, raw_answers, 3))

    assert actual == tokenizer([expected_prompt]).input_ids[0]


def test_empty_answer_keeps_bare_role(tokenizer):
    expected_prompt = fastchat_prompt(None, QUESTIONS, ("", ANSWERS[1]), 2)
    assert "ASSISTANT:USER:" in expected_prompt

    actual = template_ids(tokenizer, messages_for(None, QUESTIONS, ("  </s>", ANSWERS[1]), 2))

    assert actual == tokenizer([expected_prompt]).input_ids[0]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param("Hello.</s>ignored", "Hello.", id="cut-at-stop-string"),
        pytest.param("</s>Hello.", "Hello.", id="stop-string-first-is-removed"),
        pytest.param("  Hi <s>there</s>", "Hi there", id="special-tokens-removed"),
        pytest.param("\n<unk>Hi\n", "Hi", id="unk-removed-then-stripped"),
        pytest.param("plain", "plain", id="unchanged"),
    ],
)
def test_specbench_answer_text(raw, expected):
    assert specbench_answer_text(raw, ["<s>", "</s>", "<unk>"]) == expected


def test_template_rejects_roles_out_of_order(tokenizer):
    from jinja2.exceptions import TemplateError

    messages = [{"role": "user", "content": "a"}, {"role": "user", "content": "b"}]
    with pytest.raises(TemplateError, match="expected assistant"):
        template_ids(tokenizer, messages)


# --- named differences ----------------------------------------------------------------------------


def names_of(report):
    return [difference.name for difference in report.differences]


def test_guide_template_one_turn_default_system(tokenizer):
    report = check_conversation(tokenizer, Conversation("one", QUESTIONS[:1]), GUIDE_TEMPLATE)

    assert names_of(report) == ["BOS missing", "default system message missing", "space after system message missing"]
    assert report.first_mismatch.position == 0
    assert report.first_mismatch.reference_token == "<s>"


def test_guide_template_one_turn_with_system(tokenizer):
    report = check_conversation(tokenizer, Conversation("one", QUESTIONS[:1], system_message=SYSTEM), GUIDE_TEMPLATE)

    assert names_of(report) == ["BOS missing"]


def test_guide_template_three_turns(tokenizer):
    questions = (QUESTIONS[0], QUESTIONS[1] + "\n", QUESTIONS[2])
    conversation = Conversation("three", questions, ANSWERS, system_message=SYSTEM)

    report = check_conversation(tokenizer, conversation, GUIDE_TEMPLATE)
    turns = {difference.name: difference.turn for difference in report.differences}

    assert turns == {
        "BOS missing": 1,
        "'ASSISTANT: ' prefix partly missing": 2,
        "separator between turns missing": 2,
        "user message partly missing": 2,
    }
    assert report.first_mismatch.turn == 1


def mutate(old, new):
    assert VICUNA_CHAT_TEMPLATE.count(old) == 1, old
    return VICUNA_CHAT_TEMPLATE.replace(old, new)


@pytest.mark.parametrize(
    ("template", "system", "expected_names"),
    [
        pytest.param(
            mutate("(bos_token if bos_token else '') + ", ""), None, ["BOS missing"], id="no-bos"
        ),
        pytest.param(
            mutate("(bos_token if bos_token else '') + ", "bos_token + bos_token + "),
            None,
            ["extra BOS"],
            id="double-bos",
        ),
        pytest.param(
            mutate("A chat between", "A talk between"), None, ["default system message differs"], id="system-text"
        ),
        pytest.param(
            mutate("set separator = '</s>'", "set separator = '\\n'"),
            SYSTEM,
            ["separator between turns differs"],
            id="turn-separator",
        ),
        pytest.param(
            mutate("set separator = ' '", "set separator = ''"),
            SYSTEM,
            ["space after user message missing"],
            id="space-after-user",
        ),
        pytest.param(
            mutate("{{- 'ASSISTANT:' -}}", "{{- 'ASSISTANT: ' -}}"),
            SYSTEM,
            ["extra text after generation prompt 'ASSISTANT:'"],
            id="generation-prompt-space",
        ),
        pytest.param(
            mutate("messages[0]['role'] == 'system'", "false"),
            SYSTEM,
            ["template rendering failed"],
            id="system-role-rejected",
        ),
    ],
)
def test_wrong_template_named_differences(tokenizer, template, system, expected_names):
    conversation = Conversation("three", QUESTIONS, ANSWERS, system_message=system)

    report = check_conversation(tokenizer, conversation, template)

    assert names_of(report) == expected_names
    assert report.first_mismatch is not None


def test_first_mismatch_position_is_token_index(tokenizer):
    template = mutate("A chat between", "A talk between")
    reference = tokenizer([fastchat_prompt(None, QUESTIONS, ANSWERS, 1)]).input_ids[0]
    wrong = template_ids(tokenizer, messages_for(None, QUESTIONS, ANSWERS, 1), template)
    expected_position = next(index for index, (left, right) in enumerate(zip(reference, wrong)) if left != right)

    report = check_conversation(tokenizer, Conversation("one", QUESTIONS[:1]), template)

    assert report.first_mismatch.position == expected_position
    assert report.first_mismatch.reference_token == "c"
    assert report.first_mismatch.template_token == "t"


# --- a sentencepiece Llama tokenizer --------------------------------------------------------------

CORPUS = (
    "A chat between a curious user and an artificial intelligence assistant.",
    "The assistant gives helpful, detailed, and polite answers to the user's questions.",
    "USER: Which planet is closest to the sun? ASSISTANT: Mercury is closest.",
    "And which one is the largest? Jupiter is the largest. List both with their diameters in km.",
    "Answer briefly. The quick brown fox jumps over the lazy dog 0123456789.",
)


@pytest.fixture(scope="module")
def sentencepiece_model(tmp_path_factory):
    spm = pytest.importorskip("sentencepiece", reason="training the Llama-style model needs sentencepiece")
    model = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(CORPUS * 20),
        model_writer=model,
        model_type="bpe",
        vocab_size=400,
        byte_fallback=True,
        split_digits=True,
        unk_id=0,
        bos_id=1,
        eos_id=2,
        pad_id=-1,
        character_coverage=1.0,
        add_dummy_prefix=True,
        remove_extra_whitespaces=False,
        normalization_rule_name="identity",
        minloglevel=2,
    )
    path = tmp_path_factory.mktemp("sentencepiece") / "tokenizer.model"
    path.write_bytes(model.getvalue())
    return str(path)


def test_llama_tokenizers_zero_differences(sentencepiece_model):
    slow = transformers.LlamaTokenizer(sentencepiece_model, legacy=True)
    fast = transformers.LlamaTokenizerFast(vocab_file=sentencepiece_model, legacy=True, from_slow=True)

    for tokenizer in (slow, fast):
        reports = check_parity(tokenizer, BUILTIN_CONVERSATIONS, VICUNA_CHAT_TEMPLATE)
        assert [names_of(report) for report in reports] == [[], [], [], []], type(tokenizer).__name__


def test_llama_non_legacy_slow_tokenizer_named(sentencepiece_model):
    # legacy=False makes the slow Llama tokenizer encode text after a special token without the
    # word-start marker, so "<s>" as text and BOS added by the tokenizer give different ids.
    tokenizer = transformers.LlamaTokenizer(sentencepiece_model, legacy=False)
    reference = tokenizer([fastchat_prompt(None, QUESTIONS, ANSWERS, 1)]).input_ids[0]
    assert template_ids(tokenizer, messages_for(None, QUESTIONS, ANSWERS, 1)) != reference

    report = check_conversation(tokenizer, Conversation("one", QUESTIONS[:1]), VICUNA_CHAT_TEMPLATE)

    assert names_of(report) == ["text after BOS tokenizes differently"]
    assert report.first_mismatch.position == 1


# --- tokenizer_config.json text -------------------------------------------------------------------

TWO_SPACE_CONFIG = """{
  "bos_token": "<s>",
  "clean_up_tokenization_spaces": false,
  "eos_token": "</s>",
  "model_max_length": 2048,
  "tokenizer_class": "LlamaTokenizer"
}
"""

FOUR_SPACE_CONFIG = """{
    "tokenizer_class": "LlamaTokenizer",
    "bos_token": "<s>",
    "eos_token": "</s>"
}"""


def test_insert_two_space_sorted(tokenizer):
    template = "{{ messages }}"
    expected = TWO_SPACE_CONFIG.replace(
        '  "clean_up_tokenization_spaces"', '  "chat_template": "{{ messages }}",\n  "clean_up_tokenization_spaces"'
    )

    assert insert_chat_template(TWO_SPACE_CONFIG, template) == expected


def test_insert_four_space_unsorted_appends():
    expected = FOUR_SPACE_CONFIG.replace('"</s>"\n}', '"</s>",\n    "chat_template": "T"\n}')

    assert insert_chat_template(FOUR_SPACE_CONFIG, "T") == expected


def test_insert_replaces_existing_in_place():
    original = '{\n  "chat_template": "old {{ x }}",\n  "bos_token": "<s>"\n}\n'

    updated = insert_chat_template(original, 'new "quoted"\n')

    assert updated == '{\n  "chat_template": "new \\"quoted\\"\\n",\n  "bos_token": "<s>"\n}\n'


@pytest.mark.parametrize(
    "original",
    [TWO_SPACE_CONFIG, FOUR_SPACE_CONFIG, '{"chat_template": "old", "bos_token": "<s>"}', '{"b":1,"a":[1, 2]}'],
    ids=["two-space", "four-space", "existing-template", "compact"],
)
def test_insert_idempotent_and_keeps_keys(original):
    once = insert_chat_template(original, VICUNA_CHAT_TEMPLATE)
    twice = insert_chat_template(once, VICUNA_CHAT_TEMPLATE)

    assert twice == once
    assert json.loads(once) == {**json.loads(original), "chat_template": VICUNA_CHAT_TEMPLATE}
    assert [key for key in json.loads(once) if key != "chat_template"] == [
        key for key in json.loads(original) if key != "chat_template"
    ]


def test_insert_compact_separators():
    assert insert_chat_template('{"b":1,"a":2}', "T") == '{"b":1,"a":2,"chat_template":"T"}'
    assert insert_chat_template('{"b": 1, "a": 2}', "T") == '{"b": 1, "a": 2, "chat_template": "T"}'


def test_insert_tab_indent():
    assert insert_chat_template('{\n\t"b": 1\n}', "T") == '{\n\t"b": 1,\n\t"chat_template": "T"\n}'


def test_insert_keeps_non_ascii_style():
    raw = '{\n  "name": "café"\n}\n'
    escaped = '{\n  "name": "caf\\u00e9"\n}\n'

    assert insert_chat_template(raw, "thé") == '{\n  "chat_template": "thé",\n  "name": "café"\n}\n'
    assert insert_chat_template(escaped, "thé") == '{\n  "chat_template": "th\\u00e9",\n  "name": "caf\\u00e9"\n}\n'


def test_insert_empty_object():
    assert json.loads(insert_chat_template("{}", "T")) == {"chat_template": "T"}


@pytest.mark.parametrize("text", ['{"a": 1', "[1, 2]", ""], ids=["truncated", "array", "empty"])
def test_insert_rejects_invalid_json(text):
    with pytest.raises(ValueError):
        insert_chat_template(text, "T")


def test_read_chat_template_forms():
    assert read_chat_template('{"a": 1}') is None
    assert read_chat_template('{"chat_template": "T"}') == "T"
    named = '{"chat_template": [{"name": "tool_use", "template": "U"}, {"name": "default", "template": "D"}]}'
    assert read_chat_template(named) == "D"


# --- the command line -----------------------------------------------------------------------------


@pytest.fixture
def tokenizer_dir(tmp_path, tokenizer):
    folder = tmp_path / "tokenizer"
    tokenizer.save_pretrained(str(folder))
    return folder


def run_command(*arguments):
    return CliRunner().invoke(app, ["chat-template", *map(str, arguments)])


def set_config_template(folder, template):
    config_path = folder / "tokenizer_config.json"
    config = json.loads(config_path.read_text())
    config["chat_template"] = template
    config_path.write_text(json.dumps(config, indent=2) + "\n")


def test_cli_shipped_template_exit_zero(tokenizer_dir):
    before = (tokenizer_dir / "tokenizer_config.json").read_text()

    result = run_command(tokenizer_dir)

    assert result.exit_code == 0, result.output
    assert "4 of 4 cases match" in result.output
    assert (tokenizer_dir / "tokenizer_config.json").read_text() == before


def test_cli_wrong_template_exit_one(tokenizer_dir):
    set_config_template(tokenizer_dir, GUIDE_TEMPLATE)

    result = run_command(tokenizer_dir)

    assert result.exit_code == 1, result.output
    assert "BOS missing" in result.output
    assert "0 of 4 cases match" in result.output


def test_cli_write_fixes_config(tokenizer_dir):
    set_config_template(tokenizer_dir, GUIDE_TEMPLATE)

    result = run_command(tokenizer_dir, "--write")

    assert result.exit_code == 0, result.output
    reloaded = transformers.AutoTokenizer.from_pretrained(str(tokenizer_dir))
    messages = messages_for(SYSTEM, QUESTIONS, ANSWERS, 3)
    rendered = reloaded.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
    expected = reloaded([fastchat_prompt(SYSTEM, QUESTIONS, ANSWERS, 3)]).input_ids[0]
    assert reloaded.encode(rendered, add_special_tokens=False) == expected


def test_cli_missing_folder_exit_two(tmp_path):
    result = run_command(tmp_path / "absent")

    assert result.exit_code == 2
    assert "absent" in result.output


def test_cli_missing_config_exit_two(tmp_path):
    result = run_command(tmp_path)

    assert result.exit_code == 2
    assert "tokenizer_config.json not found" in result.output


def test_cli_missing_tokenizer_files_exit_two(tmp_path):
    (tmp_path / "tokenizer_config.json").write_text('{"bos_token": "<s>"}\n')

    result = run_command(tmp_path)

    assert result.exit_code == 2
    assert "loading the tokenizer" in result.output


def test_cli_invalid_json_exit_two(tokenizer_dir):
    (tokenizer_dir / "tokenizer_config.json").write_text('{"bos_token": ')

    result = run_command(tokenizer_dir, "--write")

    assert result.exit_code == 2
    assert "tokenizer_config.json is not a valid tokenizer config" in result.output
    assert (tokenizer_dir / "tokenizer_config.json").read_text() == '{"bos_token": '
