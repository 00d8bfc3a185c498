"""The public checks the notebooks call, one module per notebook (``checks.check_softmax()``, ...).

Provided file. Each check builds its inputs, calls your function and raises AssertionError with a message that
says what is wrong and what to look at. It checks properties and compares with the reference's outputs on these
same inputs, stored in ``expected_values.npz`` beside it: no check computes an answer. The graded tests run more
cases when your work is graded.
"""

from hw5lib.checks.autoencoder import (check_autoencoder_backward, check_autoencoder_forward,
                                       check_autoencoder_history, check_autoencoder_init, check_autoencoder_training,
                                       check_momentum, check_psnr, check_psnr_value)
from hw5lib.checks.fully_connected import (GradientComparison, check_backwards, check_batches, check_forward,
                                           check_initialize_weights, check_loss_and_acc, check_numerical_gradients,
                                           check_sigmoid, check_softmax, check_training)
from hw5lib.checks.ocr import (check_crop_to_input, check_find_letters, check_find_letters_inputs, check_group_lines,
                               check_read_text)
from hw5lib.checks.theory import check_sigmoid_derivative, check_tanh_derivative, check_tanh_from_sigmoid
from hw5lib.checks.training import check_confusion_matrix, check_train_classifier, check_trained_network

__all__ = [name for name in dir() if name.startswith("check_")] + ["GradientComparison"]
