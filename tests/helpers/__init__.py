"""The test suite's helpers, one package imported as ``tests.helpers.<module>``.


- ``api``: ids of the default fixture state, ``Api`` (requests as a caller at a
  microversion through a test client), ``fault``;
- ``response_check``: every response a test's fake sends, judged by ``schemas/``;
- ``attach_calls``: the hook tests' callers and Nova's attach calls;
- ``clients``: live fakes, the CLIs, ``fake-cinder serve`` and docs/clients.md's setup
  for the real-client tests;
- ``threads``: concurrency helpers;
- ``installed``: fake-cinder installed as a user installs it, in a fresh venv.
"""
