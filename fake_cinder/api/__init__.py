"""The HTTP layer: the route table, the request pipeline and the Flask app (``fake.app``)
that turn requests into core calls and core results into Cinder's answers."""
