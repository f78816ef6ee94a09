def tenant(request):
    current = getattr(request, "tenant", None)
    if current is None or current.is_public:
        return {"tenant": current, "brand": None}
    return {"tenant": current, "brand": current.config, "membership": getattr(request, "membership", None)}
