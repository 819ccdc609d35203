"""policy_assistant: cited answers from Chinese policy documents, offline by default."""

__version__ = "0.1.0"
