{# Brian2's cpp_standalone threshold template (brian2/devices/cpp_standalone/
   templates/threshold.cpp; the same in 2.8.0 and 2.10.1 but for a final
   newline: tests/test_codegen.py), with its loop split in two per block of cells:
   the conditions of a block are evaluated into a byte mask first (a loop
   without stores to the event space, which GCC vectorises when the
   condition has no side effects), and the block is compacted only when some
   cell crossed. The events, their order and the refractory bookkeeping are
   those of Brian2's template: the condition code runs once per cell, in
   index order (a condition that draws random numbers draws them in the same
   order), and the compaction visits the cells of a block in index order.
   Used through spiking_direct.engines.backends.block_threshold_codeobject. #}
{# USES_VARIABLES { N } #}
{% extends 'common_group.cpp' %}
{% block maincode %}
       {# not_refractory and lastspike are added as needed_variables in the
       Thresholder class, we cannot use the USES_VARIABLE mechanism
       conditionally
       Same goes for "eventspace" (e.g. spikespace) which depends on the type of
       event #}

    //// MAIN CODE ////////////
    // scalar code
    const int _vectorisation_idx = -1;
    {{scalar_code|autoindent}}

    {#  Get the name of the array that stores these events (e.g. the spikespace array) #}
    {% set _eventspace = get_array_name(eventspace_variable) %}

    long _count = 0;
    const size_t _block = 256;
    unsigned char _crossed[256];
    for(size_t _first=0; _first<(size_t)N; _first+=_block)
    {
        const size_t _last = (_first + _block < (size_t)N) ? _first + _block : (size_t)N;
        unsigned char _any = 0;
        for(size_t _idx=_first; _idx<_last; _idx++)
        {
            const size_t _vectorisation_idx = _idx;
            {{vector_code|autoindent}}
            const unsigned char _c = _cond ? 1 : 0;
            _crossed[_idx - _first] = _c;
            _any |= _c;
        }
        if(!_any)
            continue;
        for(size_t _idx=_first; _idx<_last; _idx++)
        {
            if(_crossed[_idx - _first]) {
                {{_eventspace}}[_count++] = _idx;
                {% if _uses_refractory %}
                {{not_refractory}}[_idx] = false;
                {{lastspike}}[_idx] = {{t}};
                {% endif %}
            }
        }
    }
    {{_eventspace}}[N] = _count;
{% endblock %}

{% block after_code %}
{% set _eventspace = get_array_name(eventspace_variable) %}
{{_eventspace}}[N] = 0;  // Note that this is not an off-by-1-error: the array has N+1 elements
{% endblock %}
