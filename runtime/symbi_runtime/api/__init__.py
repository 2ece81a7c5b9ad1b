"""The HTTP API (`symbi up --api`): FastAPI over a running `Runtime`.

    handle = await serve_api(runtime, settings=load_api_settings(path, env, shortcut=token), port=8080)
    ...
    await handle.close()

Modules: `models` (bodies), `errors` (the error contract), `settings`/`auth` (tokens, principals,
scopes), `routing` (a route declares its scope), `door` (body limits), `service` (what routes do),
`views` (records as bodies), `seed_routes`/`schedules`/`health_routes` (the routes), `app`, `server`.
"""

from symbi_runtime.api.app import API_PREFIX, create_app
from symbi_runtime.api.server import ApiServer, serve_api
from symbi_runtime.api.settings import ApiSettings, Scope, load_api_settings

__all__ = ["API_PREFIX", "ApiServer", "ApiSettings", "Scope", "create_app", "load_api_settings", "serve_api"]
