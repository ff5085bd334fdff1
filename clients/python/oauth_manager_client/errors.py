"""The one exception the client raises for an answer that is not a success."""
from __future__ import annotations

import httpx

# Not one of the service's codes: the answer was not an RFC 9457 problem at all (a proxy's HTML
# error page, say), so there is no stable code to branch on.
UNEXPECTED_RESPONSE = "unexpected_response"


class OAuthManagerError(Exception):
    """An RFC 9457 problem answered by oauth-manager. Branch on `code` (docs/api.md, "Errors")."""

    def __init__(self, *, code: str, status: int, detail: str, title: str = "",
                 request_id: str | None = None, retry_after: int | None = None) -> None:
        super().__init__(f"{status} {code}: {detail}")
        self.code = code
        self.status = status
        self.detail = detail
        self.title = title
        self.request_id = request_id
        # Seconds to wait before trying again (429 rate_limited, 503 provider_error).
        self.retry_after = retry_after

    @classmethod
    def from_response(cls, response: httpx.Response) -> OAuthManagerError:
        retry_after = _retry_after(response)
        try:
            problem = response.json()
        except ValueError:
            problem = None
        if not isinstance(problem, dict) or not isinstance(problem.get("code"), str):
            return cls(code=UNEXPECTED_RESPONSE, status=response.status_code,
                       detail=f"HTTP {response.status_code} without a problem+json body",
                       retry_after=retry_after)
        return cls(code=problem["code"], status=int(problem.get("status", response.status_code)),
                   detail=str(problem.get("detail", "")), title=str(problem.get("title", "")),
                   request_id=problem.get("request_id"), retry_after=retry_after)


def _retry_after(response: httpx.Response) -> int | None:
    value = response.headers.get("Retry-After", "")
    return int(value) if value.isdigit() else None
