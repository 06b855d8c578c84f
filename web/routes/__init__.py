"""The API's routers, one per resource; web.api.create_app assembles them."""
