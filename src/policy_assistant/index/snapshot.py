"""One immutable index version: documents, outlines, chunks, vectors, both indexes and the ledgers."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..models import Chunk, Document, Owner, Section, Target
from .dense import DenseIndex
from .lexical import LexicalIndex

if TYPE_CHECKING:
    from .vectorstore import VectorStore

FORMAT_VERSION = 3


def section_from_dict(d: dict[str, Any]) -> Section:
    """Rebuild a section tree saved with ``dataclasses.asdict``."""
    d = dict(d)
    d["children"] = [section_from_dict(c) for c in d.get("children", [])]
    return Section(**d)


@dataclass
class Snapshot:
    """Everything needed to answer, loaded in memory; never mutated after construction.

    On the FAISS store it holds its vectors and both indexes. On a shared store (Milvus) it holds the
    same documents, outlines, chunks and ledgers but no vectors: ``store`` searches the collection.
    """

    manifest: dict[str, Any]
    documents: list[Document]
    outlines: dict[str, Section]
    chunks: list[Chunk]
    vectors: np.ndarray
    dense: DenseIndex | None
    lexical: LexicalIndex | None
    targets: list[Target] = field(default_factory=list)
    owners: list[Owner] = field(default_factory=list)
    store: VectorStore | None = None  # None: the FAISS + bm25s indexes above

    def __post_init__(self) -> None:
        self.chunk_by_id = {c.chunk_id: i for i, c in enumerate(self.chunks)}
        self.doc_by_id = {d.doc_id: d for d in self.documents}
        self._vector_store = self.store

    @property
    def vector_store(self) -> VectorStore:
        """Where this version's chunks are searched: its own FAISS/bm25s indexes, or a shared store."""
        if self._vector_store is None:
            from .vectorstore import FaissStore

            self._vector_store = FaissStore.of(self)
        return self._vector_store

    @property
    def version(self) -> str:
        return str(self.manifest.get("version", ""))

    @property
    def model_id(self) -> str:
        return str(self.manifest.get("embedding_model", ""))

    @classmethod
    def build(
        cls,
        manifest: dict[str, Any],
        documents: list[Document],
        outlines: dict[str, Section],
        chunks: list[Chunk],
        vectors: np.ndarray,
        targets: list[Target],
        owners: list[Owner],
    ) -> Snapshot:
        """Build both indexes over ``chunks`` (rows aligned with ``vectors``)."""
        lexical = LexicalIndex.build([lexical_text(c) for c in chunks])
        dense = DenseIndex.build(vectors)
        return cls(manifest, documents, outlines, chunks, vectors, dense, lexical, targets, owners)

    def save(self, folder: Path) -> None:
        """Write every part into ``folder`` (which must be new and empty)."""
        if self.dense is None or self.lexical is None:
            raise ValueError("only a snapshot with its own FAISS and BM25 indexes can be saved to files")
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "documents.json").write_text(
            json.dumps([d.to_dict() for d in self.documents], ensure_ascii=False, indent=1), encoding="utf-8"
        )
        (folder / "outlines.json").write_text(
            json.dumps({k: asdict(v) for k, v in self.outlines.items()}, ensure_ascii=False), encoding="utf-8"
        )
        with (folder / "chunks.jsonl").open("w", encoding="utf-8") as fh:
            for c in self.chunks:
                fh.write(json.dumps(c.to_dict(), ensure_ascii=False) + "\n")
        np.save(folder / "vectors.npy", self.vectors.astype(np.float32))
        self.dense.save(folder / "dense.faiss")
        (folder / "bm25").mkdir(exist_ok=True)
        self.lexical.save(folder / "bm25")
        (folder / "targets.json").write_text(
            json.dumps([t.model_dump() for t in self.targets], ensure_ascii=False, indent=1), encoding="utf-8"
        )
        (folder / "owners.json").write_text(
            json.dumps([o.model_dump() for o in self.owners], ensure_ascii=False, indent=1), encoding="utf-8"
        )
        # the manifest goes last: a folder with a manifest is complete
        (folder / "manifest.json").write_text(json.dumps(self.manifest, ensure_ascii=False, indent=1), encoding="utf-8")

    @classmethod
    def load(cls, folder: Path) -> Snapshot:
        """Load a saved version."""
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        documents = [Document.from_dict(d) for d in json.loads((folder / "documents.json").read_text(encoding="utf-8"))]
        outlines = {k: section_from_dict(v) for k, v in json.loads((folder / "outlines.json").read_text(encoding="utf-8")).items()}
        with (folder / "chunks.jsonl").open(encoding="utf-8") as fh:
            chunks = [Chunk.from_dict(json.loads(line)) for line in fh if line.strip()]
        vectors = np.load(folder / "vectors.npy")
        dense = DenseIndex.load(folder / "dense.faiss")
        lexical = LexicalIndex.load(folder / "bm25")
        targets = [Target(**t) for t in json.loads((folder / "targets.json").read_text(encoding="utf-8"))]
        owners = [Owner(**o) for o in json.loads((folder / "owners.json").read_text(encoding="utf-8"))]
        return cls(manifest, documents, outlines, chunks, vectors, dense, lexical, targets, owners)


def lexical_text(chunk: Chunk) -> str:
    """What BM25 sees: the normalised heading path (its words count) and the body."""
    return " ".join([*chunk.norm_section_path, chunk.norm_text])
