"""A search over several processes or machines on KerasTuner's gRPC oracle service: the roles and
their checks (``roles``), the chief's oracle server (``chief``) and the workers' client (``client``)."""
