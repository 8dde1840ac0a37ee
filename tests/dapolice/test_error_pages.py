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
