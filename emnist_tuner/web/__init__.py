"""`emnist-tuner serve`: a read-only web app over the run folders under a folder.

``app.make_app(root)`` builds the Starlette app (the runs, run and compare pages, their JSON endpoints
and the page assets); ``server.serve`` checks the folder, host and port and runs it with uvicorn. The
numbers come from the functions the CLI's tables and ``plot`` use (``reports``, ``figures``); nothing
here writes into a run, and TensorFlow is not imported until a page needs a model (the Try page).

The package is ``web``, not ``serve``: importing a sub-package ``emnist_tuner.serve`` would set the
package's attribute ``serve`` to it, hiding the API function ``et.serve`` (``emnist_tuner.api.serve``).
"""
