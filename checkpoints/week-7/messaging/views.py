from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render

from messaging.forms import MessageForm
from messaging.models import MESSAGE_TO_SELF_ERROR, Message
from messaging.selectors import active_user, conversation_list
from messaging.services import conversation_mark_read, message_create
from retrosocial import limits

CONVERSATIONS_PER_PAGE = 50
MESSAGES_PER_PAGE = 50


def no_such_user(username):
    return f"There is nobody called “{username}” here."


@login_required
def inbox(request):
    """The user's conversations, newest first, with unread counts; ?to=NAME starts one."""
    error = None
    to = request.GET.get("to", "").strip()
    if to:
        other = active_user(to)
        if other is not None and other != request.user:
            return redirect("conversation", username=other.username)
        error = MESSAGE_TO_SELF_ERROR if other is not None else no_such_user(to)

    page = Paginator(Message.objects.conversations(request.user), CONVERSATIONS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    conversations = conversation_list(rows=page.object_list)
    return render(
        request,
        "messaging/inbox.html",
        {"page": page, "conversations": conversations, "to": to, "error": error},
    )


@login_required
def conversation(request, username):
    """One conversation, oldest at the top, and the form to reply. Opening it marks what the
    other person sent as read."""
    other = active_user(username)
    if other is None:
        raise Http404(no_such_user(username))
    is_self = other == request.user
    wait = None
    if request.method == "POST":
        form = MessageForm(request.POST)
        # The same limit as the API's: posts and messages per user (retrosocial.limits).
        wait = limits.hit("write", request.user.pk)
        if wait:
            form.is_valid()
            form.add_error(None, limits.TOO_MANY.format(wait))
        elif form.is_valid():
            try:
                message_create(sender=request.user, recipient=other, text=form.cleaned_data["text"])
            except ValidationError as error:  # such as a message to yourself
                form.add_error(None, error)
            else:
                return redirect("conversation", username=other.username)
    else:
        conversation_mark_read(reader=request.user, other=other)
        form = None if is_self else MessageForm()

    page = Paginator(
        Message.objects.between(request.user, other).newest_first(), MESSAGES_PER_PAGE
    ).get_page(request.GET.get("page"))
    response = render(
        request,
        "messaging/conversation.html",
        {
            "other": other,
            "is_self": is_self,
            "form": form,
            "page": page,
            # The page shows a screenful oldest first; the paginator counts from the newest.
            "thread": list(reversed(page.object_list)),
            "live": page.number == 1 and not is_self,
        },
        status=429 if wait else 200,
    )
    if wait:
        response["Retry-After"] = str(wait)
    return response
