// The spike queue of cpp_standalone builds: Brian2's CSpikeQueue (brian2/synapses/cspikequeue.cpp)
// with the synapses of every source cell held in one compressed array instead of one growing
// vector per cell. Brian2's vectors grow by doubling, so its two queues of a plastic synapse
// (pre and post pathway) hold 8-10 bytes per synapse; here the post pathway holds exactly 4, and a
// pathway whose synapses are stored in the order of their source cells (the pre pathway of a
// connect() that loops over presynaptic cells) holds none: each cell's synapses are the index
// range [start[cell], start[cell + 1]). The same synapses are delivered in the same order (a
// cell's synapses by increasing index, as Brian2 pushes them), so a run is the same to the bit.
// Copied over brianlib/spikequeue.h by spiking_direct.engines.backends before compiling; it serves
// Brian2 2.8 (whose queue is synapses/cspikequeue.cpp) and 2.10 (synapses/spikequeue.h, with the
// stream operators of its spikequeue.cpp declared at the end).
#ifndef C_SPIKEQUEUE_H
#define C_SPIKEQUEUE_H
#include<iostream>
#include<vector>
#include<map>
#include<iterator>
#include<algorithm>
#include"stdint_compat.h"
#include<assert.h>
using namespace std;

class CSpikeQueue
{
public:
    vector< vector<int32_t> > queue; // queue[(offset+i)%queue.size()] is delay i relative to current time
    double dt;
    int offset;
    bool scalar_delay;
    int *delays;
    int32_t source_start;
    int32_t source_end;
    int openmp_padding;
    // the synapses of source cell c: ids[start[c] .. start[c + 1]), or the range itself when in_order
    vector<int64_t> start;
    vector<int32_t> ids;
    bool in_order;

    CSpikeQueue(int _source_start, int _source_end)
        : source_start(_source_start), source_end(_source_end)
    {
        queue.resize(1);
        offset = 0;
        dt = 0.0;
        delays = NULL;
        openmp_padding = 0;
        scalar_delay = 0;
        in_order = true;
    };

    ~CSpikeQueue()
    {
        if (delays)
        {
            delete[] delays;
            delays = NULL;
        }
    }

    template <typename scalar> void prepare(scalar *real_delays, int n_delays,
                 int32_t *sources, int n_synapses,
                 double _dt)
    {

        assert(n_delays == 1 || n_delays == n_synapses);

        if (delays)
            delete [] delays;

        if (dt != 0.0 && dt != _dt)
        {
            // dt changed, we have to get the old spikes out of the queue and
            // reinsert them at the correct positions
            vector< vector<int32_t> > queue_copy = queue; // does a real copy
            const double conversion_factor = dt / _dt;
            const size_t oldsize = queue.size();
            const size_t newsize = (int)(oldsize * conversion_factor) + 1;
            queue.clear();
            queue.resize(newsize);
            for (size_t i=0; i<oldsize; i++)
            {
                vector<int32_t> spikes = queue_copy[(i + offset) % oldsize];
                queue[(int)(i * conversion_factor + 0.5)] = spikes;
            }
            offset = 0;
        }

        delays = new int[n_delays];

        scalar first_delay = n_delays > 0 ? real_delays[0] : 0.0;
        int min_delay = (int)(first_delay / _dt + 0.5);
        int max_delay = min_delay;
        for (int i=0; i<n_delays; i++)
        {
            //round to nearest int
            delays[i] =  (int)(real_delays[i] / _dt + 0.5);
            if (delays[i] > max_delay)
                max_delay = delays[i];
            else if (delays[i] < min_delay)
                min_delay = delays[i];
        }

        // count the synapses of every source cell, then place them (a counting sort that keeps
        // the synapses of a cell in increasing order); no ids at all when they are already in order
        const size_t n_sources = source_end - source_start;
        vector<int64_t>(n_sources + 1, 0).swap(start);
        in_order = true;
        for (int i=0; i<n_synapses; i++)
        {
            start[sources[i] - source_start + 1]++;
            if (i > 0 && sources[i] < sources[i - 1])
                in_order = false;
        }
        for (size_t c=0; c<n_sources; c++)
            start[c + 1] += start[c];
        vector<int32_t>().swap(ids);
        if (!in_order)
        {
            ids.resize(n_synapses);
            vector<int64_t> next(start.begin(), start.end() - 1);
            for (int i=0; i<n_synapses; i++)
                ids[next[sources[i] - source_start]++] = i;
        }

        dt = _dt;

        // Ensure that our spike queue is sufficiently big
        ensure_delay(max_delay);

        scalar_delay = (min_delay == max_delay);
    }

    pair <int, vector< vector<int32_t> > > _full_state() const
    {
        pair <int, vector< vector<int32_t> > > state(offset, queue);
        return state;
    }

    void _clear()
    {
    }

    void _restore_from_full_state(const pair <int, vector< vector<int32_t> > > state)
    {
        int stored_offset = state.first;
        vector< vector<int32_t> > stored_queue = state.second;
        size_t size = stored_queue.size();
        queue.clear();
        if (size == 0)  // the queue did not exist at the time of the store call
            size = 1;
        queue.resize(size);
        for (size_t i=0; i<stored_queue.size(); i++)
            queue[i] = stored_queue[i];
        offset = stored_offset;
    }

    void expand(size_t newsize)
    {
        const size_t n = queue.size();
        if (newsize <= n)
            return;
        // rotate offset back to start (leaves the circular structure unchanged)
        rotate(queue.begin(), queue.begin()+offset, queue.end());
        offset = 0;
        // add new elements
        queue.resize(newsize);
    };

    inline void ensure_delay(int delay)
    {
        if(delay >= (int)queue.size())
        {
            expand(delay+1);
        }
    };

    // the i-th synapse of the cell whose synapses begin at position first
    inline int32_t synapse(int64_t first, int i) const
    {
        return in_order ? (int32_t)(first + i) + openmp_padding : ids[first + i] + openmp_padding;
    }

    void push(int32_t *spikes, int nspikes)
    {
        if(nspikes==0) return;
        const int begin = static_cast<int>(distance(spikes, lower_bound(spikes, spikes+nspikes, source_start)));
        const int stop = static_cast<int>(distance(spikes, upper_bound(spikes, spikes+nspikes, source_end-1)));
        const int32_t * __restrict rspikes = spikes;
        if(scalar_delay)
        {
            vector<int32_t> &homog_queue = queue[(offset+delays[0])%queue.size()];
            for(int idx_spike=begin; idx_spike<stop; idx_spike++)
            {
                const int idx_neuron = rspikes[idx_spike] - source_start;
                const int64_t first = start[idx_neuron];
                const int num_indices = (int)(start[idx_neuron + 1] - first);
                if(num_indices==0) continue;
                const int cur_homog_queue_size = homog_queue.size();
                homog_queue.resize(cur_homog_queue_size+num_indices);
                int32_t * __restrict hq = &(homog_queue[cur_homog_queue_size]);
                for(int idx_indices=0; idx_indices<num_indices; idx_indices++)
                {
                    hq[idx_indices] = synapse(first, idx_indices);
                }
            }
        } else // (!scalar_delay)
        {
            int * __restrict rdelays = delays-openmp_padding;
            for(int idx_spike=begin; idx_spike<stop; idx_spike++)
            {
                const int idx_neuron = rspikes[idx_spike] - source_start;
                const int64_t first = start[idx_neuron];
                const int num_indices = (int)(start[idx_neuron + 1] - first);
                for(int idx_indices=0; idx_indices<num_indices; idx_indices++)
                {
                    const int synaptic_index = synapse(first, idx_indices);
                    int delay = rdelays[synaptic_index];
                    queue[(offset+delay)%queue.size()].push_back(synaptic_index);
                }
            }
        }
    };

    inline vector<int32_t>* peek()
    {
        return &queue[offset];
    };

    void advance()
    {
        // empty the current queue, note that for most compilers this shouldn't deallocate the memory,
        // although VC<=7.1 will, so it will be less efficient with that compiler
        queue[offset].clear();
        // and advance to the next offset
        offset = (offset+1)%queue.size();
    };
};

extern ostream& operator<<(ostream& os, const CSpikeQueue& queue);
extern istream& operator>>(istream& is, CSpikeQueue& queue);
#endif
