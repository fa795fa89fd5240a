"""Versions of the shared reference template (every published version for anyone signed in; for regional
analysts the next version's draft, its preview and publishing it), and an agency's check of a candidate's
cool-off before proposing them."""

from functools import cached_property

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.views import View

from pledge_portal import access
from pledge_portal.access.views import ActionRequiredMixin
from pledge_portal.audit import services as audit

from . import selectors, services
from .answers import AnswersInvalid, questions_of
from .forms import CoolOffCheckForm, QuestionFormSet, ReferenceAnswersForm, TemplateDetailsForm


class TemplateListView(ActionRequiredMixin, View):
    action_required = "reference_template.read"

    def get(self, request):
        templates = selectors.templates_visible_to(request.user)
        return render(request, "references/template_list.html", {"templates": templates})


class TemplateMixin(ActionRequiredMixin):
    @cached_property
    def template(self):
        return get_object_or_404(selectors.templates_visible_to(self.request.user), version=self.kwargs["version"])


class TemplateDetailView(TemplateMixin, View):
    """A version as referees see it (a preview, for a draft): the form they fill in, nothing saved."""

    action_required = "reference_template.read"

    def get(self, request, version):
        form = ReferenceAnswersForm(self.template)
        return render(request, "references/template_detail.html", {"template": self.template, "form": form})


class TemplateDraftView(ActionRequiredMixin, View):
    """POST: start the next version from the current one (or carry on with the draft already started)."""

    action_required = "reference_template.draft"
    http_method_names = ["post"]

    def post(self, request):
        draft = services.draft_template(by=request.user)
        return redirect("references:template-edit", version=draft.version)


class TemplateEditView(TemplateMixin, View):
    action_required = "reference_template.draft"

    def forms(self, data=None):
        template = self.template
        details = TemplateDetailsForm(data, initial={"title": template.title, "notes": template.notes})
        questions = QuestionFormSet(data, initial=questions_of(template.schema), prefix="q")
        return details, questions

    def render_page(self, details, questions, problems=None, status=200):
        context = {"template": self.template, "details": details, "questions": questions, "problems": problems}
        return render(self.request, "references/template_edit.html", context, status=status)

    def get(self, request, version):
        if not self.template.is_draft:
            messages.info(request, "Published versions never change: start a new version instead.")
            return redirect("references:template-detail", version=version)
        return self.render_page(*self.forms())

    def post(self, request, version):
        details, questions = self.forms(request.POST)
        if details.is_valid() and questions.is_valid():
            rows = [f.cleaned_data for f in questions.forms if f.cleaned_data and not f.cleaned_data.get("DELETE")]
            rows = [r for r in rows if (r.get("label") or "").strip()]
            try:
                services.update_template_draft(
                    template=self.template, by=request.user, questions=rows, **details.cleaned_data
                )
            except AnswersInvalid as exc:
                return self.render_page(details, questions, problems=list(exc.errors.items())[:100], status=400)
            except services.ReferenceError as exc:
                messages.error(request, str(exc))
                return redirect("references:template-detail", version=version)
            messages.success(request, "Draft saved. Preview it as referees will see it, then publish it.")
            return redirect("references:template-detail", version=version)
        return self.render_page(details, questions, status=400)


class TemplatePublishView(TemplateMixin, View):
    action_required = "reference_template.draft"
    http_method_names = ["post"]

    def post(self, request, version):
        try:
            published = services.publish_template(template=self.template, by=request.user)
        except (services.ReferenceError, AnswersInvalid) as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, f"Version {published.version} is published: referees now write on it.")
        return redirect("references:template-detail", version=version)


class CoolOffCheckView(ActionRequiredMixin, View):
    """Before proposing a candidate, an agency checks their cool-off, as it checks a rate: sent by GET (a
    check changes nothing), and every look-up of a registration number is audited."""

    action_required = "cool_off.check"

    def get(self, request):
        from boroughs.selectors import borough_directory
        from returns.selectors import cool_off_answer

        form = CoolOffCheckForm(request.GET or None, boroughs=borough_directory())
        answer = None
        if form.is_bound and form.is_valid():
            data = form.cleaned_data
            answer = cool_off_answer(
                registration_number=data["registration_number"], borough=data["borough"], start=data["start"]
            )
            audit.record(
                request.user,
                "cool_off.checked",
                data["borough"],
                organisation=access.acting_for(request.user, self.action_required),
                detail={"registration_number": data["registration_number"], "start": data["start"].isoformat()},
                request=request,
            )
        status = 400 if form.is_bound and form.errors else 200
        return render(request, "references/cool_off_check.html", {"form": form, "answer": answer}, status=status)
