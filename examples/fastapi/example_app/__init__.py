"""A FastAPI application that connects its users' accounts through oauth-manager."""
