from django import forms

from chat.models import Agent, Task


class TaskForm(forms.Form):
    title = forms.CharField(max_length=200)
    detail = forms.CharField(max_length=5000, required=False, widget=forms.Textarea(attrs={"rows": 3}))
    lane = forms.CharField(
        max_length=40, required=False, help_text='A kind of agent, e.g. "seo"; blank: any.'
    )
    agent = forms.ModelChoiceField(
        queryset=Agent.objects.none(),
        required=False,
        empty_label="Any agent",
        help_text="Meant for one agent.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["agent"].queryset = Agent.objects.exclude(state=Agent.State.DEAD)


class ReassignForm(forms.Form):
    agent = forms.ModelChoiceField(queryset=Agent.objects.none(), required=False, empty_label="Nobody (open)")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["agent"].queryset = Agent.objects.exclude(state=Agent.State.DEAD)


class CloseForm(forms.Form):
    outcome = forms.ChoiceField(choices=[(Task.Status.DONE, "Done"), (Task.Status.FAILED, "Failed")])
    note = forms.CharField(max_length=500, required=False)
