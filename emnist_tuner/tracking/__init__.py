"""Sending a run folder to an experiment tracker: MLflow (``mlflow_store``: the optional package, the
store's URI; ``mlflow_log``: a search as a parent run and its trials as child runs, idempotent)."""
