// The spike queue of cpp_standalone builds: Brian2's CSpikeQueue (brian2/synapses/cspikequeue.cpp)
// with the synapses of every source cell held in one compressed array instead of one growing
// vector per cell. Brian2's vectors grow by doubling, so its two queues of a plastic synapse
// (pre and post pathway) hold 8-10 bytes per synapse. Here a pathway whose synapses are stored in
// the order of their source cells (the pre pathway of a connect() that loops over presynaptic
// cells) holds no ids: each cell's synapses are the index range [start[cell], start[cell + 1]).
// Any other pathway (the post pathway) holds each cell's ids, which ascend, Elias-Fano coded
// (Elias 1974, Fano 1971): with m ids spanning a range U, the low L = floor(log2(U / m)) bits of
// each id's offset from the cell's first id are stored as they are, the high bits as a unary
// bit vector of m + (U >> L) + 1 bits, at most L + 2 bits an id (17 bits, not 32, for a cell with
// 11,000 synapses among 600 M). Decoding costs time (on the Alzheimer default it made the post
// pathway's push 0.064 s instead of 0.041 s of a 1.85 s run), so ids are coded only for pathways
// of at least SPIKING_DIRECT_CODED_IDS_MIN synapses (memory.CODED_IDS_MIN), and held as they are
// (4 bytes each) below. The same synapses are delivered in the same order (a cell's synapses by
// increasing index, as Brian2 pushes them), so a run is the same to the bit.
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

#ifndef SPIKING_DIRECT_CODED_IDS_MIN
#define SPIKING_DIRECT_CODED_IDS_MIN 33554432
#endif

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
    // the synapses of source cell c: positions start[c] .. start[c + 1]); when in_order they are
    // those indices, else ids[position] or, when coded, the cell's ids Elias-Fano coded in bits
    // from bit ef_start[c]: its start[c + 1] - start[c] low parts of ef_low[c] bits, then the high
    // parts' unary vector; ids = first id + offset
    vector<int64_t> start;
    vector<int32_t> ids;
    bool coded;
    vector<uint64_t> bits;
    vector<int64_t> ef_start;
    vector<int32_t> ef_first;
    vector<uint8_t> ef_low;
    vector<int32_t> cell_ids; // one cell's synapses while a pathway with a delay per synapse pushes them
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
        coded = false;
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

        // count the synapses of every source cell; no ids at all when they are stored in the order of
        // their sources, else each cell's ids in increasing order, coded (encode)
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
        vector<uint64_t>().swap(bits);
        vector<int64_t>().swap(ef_start);
        vector<int32_t>().swap(ef_first);
        vector<uint8_t>().swap(ef_low);
        coded = !in_order && (int64_t)n_synapses >= (int64_t)SPIKING_DIRECT_CODED_IDS_MIN;
        if (coded)
            encode(sources, n_synapses);
        else if (!in_order)
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

    // Elias-Fano code of every source cell's ascending synapse ids (two passes over sources, no
    // array of ids: the first finds each cell's first and last id, the second writes the bits)
    void encode(int32_t *sources, int n_synapses)
    {
        const size_t n_sources = source_end - source_start;
        vector<int32_t>(n_sources, 0).swap(ef_first);
        vector<uint8_t>(n_sources, 0).swap(ef_low);
        vector<int64_t>(n_sources + 1, 0).swap(ef_start);
        vector<int32_t> last(n_sources, 0);
        for (int i=n_synapses-1; i>=0; i--)
            ef_first[sources[i] - source_start] = i;
        for (int i=0; i<n_synapses; i++)
            last[sources[i] - source_start] = i;
        for (size_t c=0; c<n_sources; c++)
        {
            const int64_t m = start[c + 1] - start[c];
            int64_t size = 0;
            if (m > 0)
            {
                const int64_t U = (int64_t)last[c] - ef_first[c];
                int L = 0;
                while ((U >> (L + 1)) >= m)
                    L++;
                ef_low[c] = (uint8_t)L;
                size = m * L + m + (U >> L) + 1;
            }
            ef_start[c + 1] = ef_start[c] + size;
        }
        vector<int32_t>().swap(last);
        vector<uint64_t>((ef_start[n_sources] >> 6) + 2, 0).swap(bits); // one word of padding for reads
        vector<int64_t> rank(n_sources, 0);
        for (int i=0; i<n_synapses; i++)
        {
            const int c = sources[i] - source_start;
            const int64_t r = rank[c]++;
            const int L = ef_low[c];
            const uint64_t v = (uint64_t)(i - ef_first[c]);
            if (L > 0)
            {
                const int64_t p = ef_start[c] + r * L;
                const uint64_t low = v & ((1ULL << L) - 1);
                bits[p >> 6] |= low << (p & 63);
                if ((p & 63) + L > 64)
                    bits[(p >> 6) + 1] |= low >> (64 - (p & 63));
            }
            const int64_t h = ef_start[c] + (start[c + 1] - start[c]) * L + (int64_t)(v >> L) + r;
            bits[h >> 6] |= 1ULL << (h & 63);
        }
    }

    // reads the ids of one source cell in increasing order
    struct Decoder
    {
        const uint64_t *bits;
        int64_t low_pos, high_pos, high_start;
        int L;
        int32_t first;
        int64_t r;

        inline int32_t next()
        {
            uint64_t word = bits[high_pos >> 6] >> (high_pos & 63);
            while (word == 0)
            {
                high_pos = (high_pos | 63) + 1;
                word = bits[high_pos >> 6];
            }
            high_pos += __builtin_ctzll(word);
            const uint64_t high = (uint64_t)(high_pos - high_start - r);
            high_pos++;
            uint64_t low = 0;
            if (L > 0)
            {
                const int o = (int)(low_pos & 63);
                low = bits[low_pos >> 6] >> o;
                if (o + L > 64)
                    low |= bits[(low_pos >> 6) + 1] << (64 - o);
                low &= (1ULL << L) - 1;
                low_pos += L;
            }
            r++;
            return first + (int32_t)((high << L) | low);
        }
    };

    inline Decoder decoder(int c, int64_t m) const
    {
        Decoder d;
        d.bits = bits.data();
        d.L = ef_low[c];
        d.low_pos = ef_start[c];
        d.high_start = d.high_pos = ef_start[c] + m * d.L;
        d.first = ef_first[c];
        d.r = 0;
        return d;
    }

    // writes the synapses of source cell c (num of them from position first), with the padding, to out
    inline void cell_synapses(int c, int64_t first, int num, int32_t * __restrict out) const
    {
        if (in_order)
            for (int i=0; i<num; i++)
                out[i] = (int32_t)(first + i) + openmp_padding;
        else if (!coded)
            for (int i=0; i<num; i++)
                out[i] = ids[first + i] + openmp_padding;
        else
        {
            Decoder d = decoder(c, num);
            for (int i=0; i<num; i++)
                out[i] = d.next() + openmp_padding;
        }
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
                cell_synapses(idx_neuron, first, num_indices, &(homog_queue[cur_homog_queue_size]));
            }
        } else // (!scalar_delay)
        {
            int * __restrict rdelays = delays-openmp_padding;
            for(int idx_spike=begin; idx_spike<stop; idx_spike++)
            {
                const int idx_neuron = rspikes[idx_spike] - source_start;
                const int64_t first = start[idx_neuron];
                const int num_indices = (int)(start[idx_neuron + 1] - first);
                if(num_indices==0) continue;
                cell_ids.resize(num_indices);
                cell_synapses(idx_neuron, first, num_indices, cell_ids.data());
                for(int idx_indices=0; idx_indices<num_indices; idx_indices++)
                {
                    const int synaptic_index = cell_ids[idx_indices];
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
