"""The Telegram channel's own few replies (a photo, an edit, a long message, an expired or outdated button) for
users whose Telegram is in Persian. Everything the assistant says follows the customer's language
instead (bot/conversation/language.py); these are sent before or without the assistant."""

from __future__ import annotations

PERSIAN = {
    "unreadable": "ببخشید، فعلاً فقط پیام‌های متنی را می‌توانم بخوانم. لطفاً سؤالتان را بنویسید.",
    "edited": "ببخشید، ویرایش پیام‌های قبلی را نمی‌توانم دنبال کنم. لطفاً سؤال اصلاح‌شده را در پیامی تازه بفرستید.",
    "too_long": "ببخشید، این پیام برای من خیلی طولانی است. لطفاً آن را در چند بخش کوتاه‌تر بفرستید.",
    "expired": "این دکمه دیگر فعال نیست. لطفاً سؤالتان را بنویسید.",
    "moved_on": "آن پرسش گذشته است. لطفاً به آخرین پرسش پاسخ دهید یا سؤالتان را بنویسید.",
}


def reply_in(locale: str | None, key: str, english: str) -> str:
    """The reply for a user with Telegram's `language_code` `locale` ("fa", "fa-IR"): Persian or English."""
    return PERSIAN[key] if (locale or "").lower().startswith("fa") else english
