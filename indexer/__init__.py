"""The indexer: corpus files → cleaned, structured documents → passages → embeddings → index on disk."""
