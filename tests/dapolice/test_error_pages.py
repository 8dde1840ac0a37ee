"""Error pages: generic, in our layout, and carrying nothing personal or technical."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.test import RequestFactory
from django.views.defaults import permission_denied, server_error


def test_404_does_not_echo_the_address(client_for, call_taker):
    response = client_for(call_taker).get("/people/jane-doe-1984/")
    html = response.content.decode()
    assert response.status_code == 404
    assert "Page not found" in html
    assert "jane-doe" not in html


def test_403_does_not_show_the_reason_given_in_code(rf: RequestFactory, call_taker):
    request = rf.get("/incidents/")
    request.user = call_taker
    response = permission_denied(request, PermissionDenied("victim Jane Doe is restricted"))
    html = response.content.decode()
    assert response.status_code == 403
    assert "You do not have access to this page" in html
    assert "Jane Doe" not in html


def test_500_renders_without_any_context_and_shows_no_detail(rf: RequestFactory):
    # handler500 renders with an empty Context: no request, no user, no context processors.
    response = server_error(rf.get("/"))
    html = response.content.decode()
    assert response.status_code == 500
    assert "Sorry, there is a problem with the service" in html
    assert "Traceback" not in html
    assert "OFFICIAL-SENSITIVE" in html


def test_a_database_or_redis_fault_on_a_page_is_a_503_unavailable_page(rf: RequestFactory):
    # Issue 13: the match panel and the board answer "unavailable — retrying" (their script
    # retries), never a 500, while the database or Redis is away; nothing about the fault shows.
    import redis
    from django.db import DatabaseError

    from dapolice.common.api import server_error as handler500

    for fault in (
        DatabaseError('could not connect to server at "db.internal" (10.0.0.5), port 5432'),
        redis.ConnectionError("Error 111 connecting to cache.internal:6379"),
    ):
        try:
            raise fault
        except (DatabaseError, redis.RedisError):
            response = handler500(rf.get("/incidents/board/", HTTP_HX_REQUEST="true"))
        html = response.content.decode()
        assert response.status_code == 503
        assert response["Retry-After"]
        assert "unavailable" in html
        assert "db.internal" not in html
        assert "cache.internal" not in html
        assert "5432" not in html


def test_any_other_fault_on_a_page_is_still_the_500_page(rf: RequestFactory):
    from dapolice.common.api import server_error as handler500

    try:
        raise RuntimeError("secret internals")
    except RuntimeError:
        response = handler500(rf.get("/incidents/board/"))
    assert response.status_code == 500
    assert "secret internals" not in response.content.decode()
