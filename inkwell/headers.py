"""Response headers that depend on where a page is."""

# Pages and API answers with a signed-in person's business data: never kept by a browser's or a
# proxy's cache, so the back button after signing out or a shared machine shows nothing.
# The contracts area's owner pages list customers' names, phones and the audit trail's IP addresses.
PRIVATE_PREFIXES = ("/dashboard/", "/api/", "/contracts/")


class PrivateNoStoreMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.path_info.startswith(PRIVATE_PREFIXES):
            response["Cache-Control"] = "private, no-store"
        return response
