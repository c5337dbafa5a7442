/* Plain-C baselines of solvable.kernels.spins.run_chains for the random-scan dynamics.
 *
 * run_chains: sparse J as CSR neighbour lists (what a C programmer writes for a lattice).
 * run_chains_dense: dense J as a full row-major n x n matrix (zero diagonal), fields
 * updated over the whole contiguous row, `H[j] += J[i*n + j] * d` for j = 0 ... n-1
 * (what a C programmer writes for a dense J).
 *
 * The same loop as the Numba kernel, written the way a C programmer would: CSR
 * neighbour lists, local fields updated in O(degree) per flip, one xoshiro256**
 * stream per chain (Blackman & Vigna 2018) held in local variables, the same
 * uniform (top 53 bits * 2^-53), the same site choice int(u * n) and the same
 * acceptance tests. Given the same stream states it draws the same numbers in the
 * same order as the Numba kernel, so both end in the same configuration (libm's
 * tanh/exp are used by both); tests/test_bench.py checks that.
 *
 * Compiled by solvable.bench at run time with `cc -O2 -shared -fPIC`.
 */
#include <math.h>
#include <stdint.h>

#define RANDOM_HB 1
#define RANDOM_MET 2

static inline uint64_t rotl(const uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

static inline uint64_t next_u64(uint64_t *s) {
    const uint64_t result = rotl(s[1] * 5, 7) * 9;
    const uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

static inline double uniform(uint64_t *s) { return (double)(next_u64(s) >> 11) * (1.0 / 9007199254740992.0); }

static inline void flip(int64_t i, int8_t *x, double *H, const int64_t *indptr, const int64_t *indices,
                        const double *weights) {
    const double d = -2.0 * (double)x[i];
    x[i] = (int8_t)(-x[i]);
    for (int64_t q = indptr[i]; q < indptr[i + 1]; q++) H[indices[q]] += weights[q] * d;
}

/* Advance every chain (row of spins, int8 -1/+1) by n_steps single-site updates at
 * uniformly random sites: heat bath (code 1) or Metropolis (code 2). fields is
 * float64 scratch shaped like spins; states is uint64 (n_chains, 4), updated. */
void run_chains(int8_t *spins, double *fields, const int64_t *indptr, const int64_t *indices,
                const double *weights, const double *h, int64_t n_chains, int64_t n, int64_t n_steps,
                int code, uint64_t *states) {
    for (int64_t c = 0; c < n_chains; c++) {
        int8_t *x = spins + c * n;
        double *H = fields + c * n;
        uint64_t s[4] = {states[4 * c], states[4 * c + 1], states[4 * c + 2], states[4 * c + 3]};
        for (int64_t i = 0; i < n; i++) {
            double acc = h[i];
            for (int64_t q = indptr[i]; q < indptr[i + 1]; q++) acc += weights[q] * (double)x[indices[q]];
            H[i] = acc;
        }
        if (code == RANDOM_HB) {
            for (int64_t t = 0; t < n_steps; t++) {
                const int64_t i = (int64_t)(uniform(s) * (double)n);
                const int v = uniform(s) < 0.5 * (1.0 + tanh(H[i])) ? 1 : -1;
                if (v != x[i]) flip(i, x, H, indptr, indices, weights);
            }
        } else if (code == RANDOM_MET) {
            for (int64_t t = 0; t < n_steps; t++) {
                const int64_t i = (int64_t)(uniform(s) * (double)n);
                const double dE = 2.0 * (double)x[i] * H[i];
                if (dE <= 0.0 || uniform(s) < exp(-dE)) flip(i, x, H, indptr, indices, weights);
            }
        }
        for (int k = 0; k < 4; k++) states[4 * c + k] = s[k];
    }
}

static inline void flip_dense(int64_t i, int8_t *x, double *H, const double *J, int64_t n) {
    const double d = -2.0 * (double)x[i];
    const double *row = J + i * n;
    x[i] = (int8_t)(-x[i]);
    for (int64_t j = 0; j < n; j++) H[j] += row[j] * d;
}

/* run_chains with a dense J (row-major n x n, zero diagonal): the same streams, draws
 * and tests; H[i] also receives J[i][i] * d = 0, which leaves it unchanged. */
void run_chains_dense(int8_t *spins, double *fields, const double *J, const double *h, int64_t n_chains,
                      int64_t n, int64_t n_steps, int code, uint64_t *states) {
    for (int64_t c = 0; c < n_chains; c++) {
        int8_t *x = spins + c * n;
        double *H = fields + c * n;
        uint64_t s[4] = {states[4 * c], states[4 * c + 1], states[4 * c + 2], states[4 * c + 3]};
        for (int64_t i = 0; i < n; i++) {
            double acc = h[i];
            for (int64_t j = 0; j < n; j++) acc += J[i * n + j] * (double)x[j];
            H[i] = acc;
        }
        if (code == RANDOM_HB) {
            for (int64_t t = 0; t < n_steps; t++) {
                const int64_t i = (int64_t)(uniform(s) * (double)n);
                const int v = uniform(s) < 0.5 * (1.0 + tanh(H[i])) ? 1 : -1;
                if (v != x[i]) flip_dense(i, x, H, J, n);
            }
        } else if (code == RANDOM_MET) {
            for (int64_t t = 0; t < n_steps; t++) {
                const int64_t i = (int64_t)(uniform(s) * (double)n);
                const double dE = 2.0 * (double)x[i] * H[i];
                if (dE <= 0.0 || uniform(s) < exp(-dE)) flip_dense(i, x, H, J, n);
            }
        }
        for (int k = 0; k < 4; k++) states[4 * c + k] = s[k];
    }
}
