/* Recurrent layers over full sequences with backpropagation through time.
 * Batch-first: in (n, steps, input_size), out (n, steps, hidden).  Weights use
 * PyTorch's layout and gate order so reference vectors transfer directly:
 *   LSTM: weight_ih (4H, I), weight_hh (4H, H), bias_ih, bias_hh (4H), gates i, f, g, o.
 *   GRU:  weight_ih (3H, I), weight_hh (3H, H), bias_ih, bias_hh (3H), gates r, z, n,
 *         n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn)), h' = (1 − z) ⊙ n + z ⊙ h.
 * Biases may be NULL; h0, c0 (n, H) may be NULL for zeros.  The final state is
 * out[:, steps-1].  Backward adds into every gradient; dh0/dc0 may be NULL.
 * Workspaces are caller-owned scratch of the documented size. */
#ifndef BENCH_NN_RNN_H
#define BENCH_NN_RNN_H

#include <stddef.h>

typedef struct nn_rnn_dims {
    size_t batch, steps, input_size, hidden;
} nn_rnn_dims;

/* Caches: gates (n, steps, 4H) after activation, cells (n, steps, H). */
void nn_lstm_forward(float *out, float *gates, float *cells, const float *in, const float *h0, const float *c0,
                     const float *weight_ih, const float *weight_hh, const float *bias_ih, const float *bias_hh,
                     const nn_rnn_dims *dims);
/* Floats of workspace for nn_lstm_backward. */
size_t nn_lstm_workspace(const nn_rnn_dims *dims);
void nn_lstm_backward(float *din, float *dweight_ih, float *dweight_hh, float *dbias_ih, float *dbias_hh, float *dh0,
                      float *dc0, float *workspace, const float *dout, const float *in, const float *h0,
                      const float *c0, const float *weight_ih, const float *weight_hh, const float *out,
                      const float *gates, const float *cells, const nn_rnn_dims *dims);

/* Caches: gates (n, steps, 3H) after activation (r, z, n), hidden_n (n, steps, H)
 * = W_hn h + b_hn.  workspace: nn_gru_workspace floats (forward and backward). */
size_t nn_gru_workspace(const nn_rnn_dims *dims);
void nn_gru_forward(float *out, float *gates, float *hidden_n, float *workspace, const float *in, const float *h0,
                    const float *weight_ih, const float *weight_hh, const float *bias_ih, const float *bias_hh,
                    const nn_rnn_dims *dims);
void nn_gru_backward(float *din, float *dweight_ih, float *dweight_hh, float *dbias_ih, float *dbias_hh, float *dh0,
                     float *workspace, const float *dout, const float *in, const float *h0, const float *weight_ih,
                     const float *weight_hh, const float *out, const float *gates, const float *hidden_n,
                     const nn_rnn_dims *dims);

#endif
