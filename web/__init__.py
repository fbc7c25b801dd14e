"""The web app: FastAPI routes and Jinja2 pages over the retriever."""
