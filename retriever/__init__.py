"""The retriever: lexical and dense search over the index, fusion, reranking, highlighting, answers."""
