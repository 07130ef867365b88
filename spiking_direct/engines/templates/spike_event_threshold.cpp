{# The thresholder of a custom event whose condition holds only for a cell that
   has just spiked (``lastspike == t and ...``, checked after the spike
   thresholder in the same step): instead of testing every cell of the group
   it tests the cells of this step's spike space, in their (index) order. The
   events and their order are those of Brian2's threshold template, since no
   other cell can satisfy ``lastspike == t``. Used through
   spiking_direct.engines.backends.spike_driven_event, which checks the condition. #}
{# USES_VARIABLES { N } #}
{% extends 'threshold.cpp' %}{# this package's: its after_code block #}
{% block maincode %}
    //// MAIN CODE ////////////
    // scalar code
    const int _vectorisation_idx = -1;
    {{scalar_code|autoindent}}

    {% set _eventspace = get_array_name(eventspace_variable) %}
    {% set _spikes = get_array_name(spikespace_variable) %}

    long _count = 0;
    const long _num_spikes = {{_spikes}}[N];
    for(long _k=0; _k<_num_spikes; _k++)
    {
        const size_t _idx = {{_spikes}}[_k];
        const size_t _vectorisation_idx = _idx;
        {{vector_code|autoindent}}
        if(_cond) {
            {{_eventspace}}[_count++] = _idx;
        }
    }
    {{_eventspace}}[N] = _count;
{% endblock %}
