"""A ceiling on every uploaded file, enforced while it streams in.

Without it Django writes any upload, however large, to a temporary file before a form can say no. This
handler stops storing a file as soon as it passes ``UPLOAD_MAX_BYTES``, drops it (the rest of the request
body is read and discarded, never stored) and notes the field on the request, so the page can say why
the file is missing: see ``explain_refused_uploads``.
"""

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler, SkipFile
from django.template.defaultfilters import filesizeformat


class SizeLimitUploadHandler(FileUploadHandler):
    def new_file(self, field_name, *args, **kwargs):
        super().new_file(field_name, *args, **kwargs)
        self.received = 0

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if self.received > settings.UPLOAD_MAX_BYTES:
            refused = getattr(self.request, "refused_uploads", set())
            refused.add(self.field_name)
            self.request.refused_uploads = refused
            raise SkipFile
        return raw_data  # handed on to the next handler, which stores it

    def file_complete(self, file_size):
        return None  # the next handler makes the file


def explain_refused_uploads(request, form) -> None:
    """Call after ``form.is_valid()``: a file field whose upload was cut off says it was too large, not
    that no file was chosen."""
    for name in getattr(request, "refused_uploads", ()):
        if name in form.fields:
            message = f"The file is larger than {filesizeformat(settings.UPLOAD_MAX_BYTES)}. Upload a smaller copy."
            form.errors[name] = form.error_class([message])
