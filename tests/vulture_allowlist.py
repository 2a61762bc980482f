"""Names vulture cannot see used: MkDocs calls the hooks by name, libraries read these attributes.

tests/test_architecture.py adds, generated, every name the templates use and every pydantic field.
"""
# ruff: noqa: B018, F821

from generator import mkdocs_hooks

# MkDocs hook entry points (mkdocs.yml `hooks:`), called by name with fixed signatures.
mkdocs_hooks.on_startup
mkdocs_hooks.on_config
mkdocs_hooks.on_pre_build
mkdocs_hooks.on_files
mkdocs_hooks.on_page_markdown
mkdocs_hooks.on_page_content
mkdocs_hooks.on_post_page
mkdocs_hooks.on_post_build
mkdocs_hooks.on_nav
mkdocs_hooks.on_env
mkdocs_hooks.on_page_context
mkdocs_hooks.on_shutdown
_.dirty  # on_startup's parameter, part of the MkDocs signature
mkdocs_hooks._GeneratedFile.is_modified  # MkDocs asks it on a dirty (`kb serve`) rebuild
mkdocs_hooks._GeneratedFile.copy_file  # MkDocs copies each static file with it
_.present_anchor_ids  # MkDocs' Page: read when it validates anchor links
_.links_to_anchors  # MkDocs' Page: read when it validates anchor links

# Read by libraries rather than by our code.
_.model_config  # pydantic
_.preserve_quotes  # ruamel.yaml
_.Representer  # ruamel.yaml
_._env  # mkdocs-macros' template environment, replaced by the sandbox
_.compress_type  # zipfile.ZipInfo
_.external_attr  # zipfile.ZipInfo
_.bytecode_cache  # jinja2.Environment: compiled templates kept across `kb serve` rebuilds
_.atexit  # weakref.finalize: spooled files need no removal at exit (pipeline/spool.py removes the directory)

# Called by pytest, http.server and html.parser by name.
_.pytest_configure
_.pytest_runtest_setup
_.pytestmark
_.log_message
_.daemon_threads
_.handle_starttag
_.handle_endtag
_.handle_data
_.load_bytecode  # jinja2.BytecodeCache, called by Jinja
_.dump_bytecode
