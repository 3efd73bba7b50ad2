/**
 * The seed tutorial "Loss functions" (MXNet Gluon's loss.md) as TypeScript: every code cell has
 * its twin, in order, and the notebook's text is kept as comments.
 *
 * Run it with `npx tsx examples/tutorial.ts` (prints each cell's output), or with `npm start`
 * (`gloss tutorial`), which also writes the plots as SVG and PNG and an HTML page of the whole
 * tutorial into ./out.
 *
 * Layout (Jupytext's "percent" format): `// %% [markdown]` starts a block of notebook text,
 * `// %% [n]` starts the twin of code cell n. `cell(n, () => { ... })` runs a cell and collects
 * its output; `display(v)` is the notebook's `Out[n]` (the cell's last expression), `print` is
 * Python's print and `show` is matplotlib's `plt.show()`. The differences from the Python:
 * NDArray methods instead of operators (`x.sub(y).pow(2)` for `(x - y)**2`), options objects in
 * camelCase (`{ rho: 1 }` for `rho=1`), a seeded random generator (cell 5), and plots that also
 * draw the gradient.
 *
 * The notebook's text and code come from the Apache MXNet tutorial loss.md (MXNet 1.6 docs),
 * licensed to the Apache Software Foundation under the
 * Apache License, Version 2.0: http://www.apache.org/licenses/LICENSE-2.0
 */

// %% [markdown]
// # Loss functions
//
// Loss functions are used to train neural networks and to compute the difference between output and target variable. A critical component of training neural networks is the loss function. A loss function is a quantative measure of how bad the predictions of the network are when compared to ground truth labels. Given this score, a network can improve by iteratively updating its weights to minimise this loss. Some tasks use a combination of multiple loss functions, but often you'll just use one. MXNet Gluon provides a number of the most commonly used loss functions, and you'll choose certain loss functions depending on your network and task. Some common task and loss function pairs include:
//
// - regression: [L1Loss](/api/python/docs/api/gluon/loss/index.html#mxnet.gluon.loss.L1Loss), [L2Loss](/api/python/docs/api/gluon/loss/index.html#mxnet.gluon.loss.L2Loss)
// - classification: [SigmoidBinaryCrossEntropyLoss](/api/python/docs/api/gluon/loss/index.html#mxnet.gluon.loss.SigmoidBinaryCrossEntropyLoss), [SoftmaxCrossEntropyLoss](/api/python/docs/api/gluon/loss/index.html#mxnet.gluon.loss.SoftmaxCrossEntropyLoss)
// - embeddings: [HingeLoss](/api/python/docs/api/gluon/_autogen/mxnet.gluon.loss.HingeLoss.html)
//
// We'll first import the modules, where the `mxnet.gluon.loss` module is imported as `gloss` to avoid the commonly used name `loss`.

// The notebook runtime (IPython's display and plt.show) sits outside the cells: the page shows the
// gloss-ml import only. In the checkout `gloss-ml` resolves to src/ through tsconfig.json's paths.
import { cell, display, print, show } from 'gloss-ml/notebook';

// %% [1]
import { autograd, gluon, type NDArray, nd } from 'gloss-ml';

// `from mxnet.gluon import nn, loss as gloss`; IPython's display and matplotlib's plt.show()
// become the notebook runtime's `display` and `show`.
const { nn, loss: gloss } = gluon;

// The notebook's global names. Python needs no declarations; TypeScript does.
let loss: gluon.loss.Loss;
let x: NDArray;
let y: NDArray;
let X: NDArray;
let net: gluon.nn.Dense;
let l: NDArray;

cell(1);

// %% [markdown]
// ## Basic Usages
//
// Now let's create an instance of the $\ell_2$ loss, which is commonly used in regression tasks.

// %% [2]
cell(2, () => {
  loss = new gloss.L2Loss();
});

// %% [markdown]
// And then feed two inputs to compute the elementwise loss values.

// %% [3]
cell(3, () => {
  x = nd.ones([2]);
  y = nd.ones([2]).mul(2);
  display(loss.forward(x, y));
});

// %% [markdown]
// These values should be equal to the math definition: $0.5\|x-y\|^2$.

// %% [4]
cell(4, () => {
  display(x.sub(y).pow(2).mul(0.5));
});

// %% [markdown]
// Next we show how to use a loss function to compute gradients.

// %% [5]
cell(5, () => {
  // MXNet draws unseeded here; seeding gloss's generator makes this page the same on every run.
  nd.random.seed(0);
  X = nd.random.uniform(0, 1, [2, 4]);
  net = new nn.Dense(1);
  net.initialize();
  l = autograd.record(() => loss.forward(net.forward(X), y));
  print(l);
});

// %% [markdown]
// We can compute the gradients w.r.t. the loss function.

// %% [6]
cell(6, () => {
  l.backward();
  print(net.weight.grad());
});

// %% [markdown]
// ## Loss functions
//
// Most commonly used loss functions can be divided into 2 categories: regression and classification.
//
// Let's first visualize several regression losses. We visualize the loss values versus the predicted values with label values fixed to be 0.

// %% [7]
/**
 * The notebook's `plot(x, y)`, which also draws the gradient dℓ/dx (the caller recorded the loss
 * with `x.attachGrad()` and ran `y.backward()`): a 1-D input makes every element its own sample,
 * so `x.grad` holds each point's derivative.
 */
function plot(x: NDArray, y: NDArray, title: string, label: number): void {
  show(
    [
      { label: `loss at label ${label}`, x: x.data, y: y.data },
      { label: 'gradient', x: x.data, y: x.grad!.data, dashed: true },
    ],
    { title, xLabel: 'x', yLabel: 'loss' },
  );
}

function showRegressionLoss(loss: gluon.loss.Loss): void {
  const x = nd.arange(-5, 5, 0.1);
  x.attachGrad();
  const y = autograd.record(() => loss.forward(x, nd.zerosLike(x)));
  y.backward();
  plot(x, y, loss.name, 0);
}

cell(7);

// %% [markdown]
// Then plot the classification losses with label values fixed to be 1.

// %% [8]
function showClassificationLoss(loss: gluon.loss.Loss): void {
  const x = nd.arange(-5, 5, 0.1);
  x.attachGrad();
  const y = autograd.record(() => loss.forward(x, nd.onesLike(x)));
  y.backward();
  plot(x, y, loss.name, 1);
}

cell(8);

// %% [markdown]
// #### [L1 Loss](https://mxnet.apache.org/api/python/gluon/loss.html#mxnet.gluon.loss.L1Loss)
//
// L1 Loss, also called Mean Absolute Error, computes the sum of absolute distance between target values and the output of the neural network. It is defined as:
//
// $$ L = \sum_i \vert {label}_i - {pred}_i \vert. $$
//
// It is a non-smooth function that can lead to non-convergence. It creates the same gradient for small and large loss values, which can be problematic for the learning process.

// %% [9]
cell(9, () => {
  showRegressionLoss(new gloss.L1Loss());
});

// %% [markdown]
// #### [L2 Loss](https://mxnet.apache.org/api/python/gluon/loss.html#mxnet.gluon.loss.L2Loss)
//
// L2Loss, also called Mean Squared Error, is a regression loss function that computes the squared distances between the target values and the output of the neural network. It is defined as:
//
// $$ L = \frac{1}{2} \sum_i \vert {label}_i - {pred}_i \vert^2. $$
//
// Compared to L1, L2 loss it is a smooth function and it creates larger gradients for large loss values. However due to the squaring it puts high weight on outliers.

// %% [10]
cell(10, () => {
  showRegressionLoss(new gloss.L2Loss());
});

// %% [markdown]
// #### [Huber Loss](https://mxnet.apache.org/api/python/gluon/loss.html#mxnet.gluon.loss.HuberLosss)
//
// HuberLoss  combines advantages of L1 and L2 loss. It calculates a smoothed L1 loss that is equal to L1 if the absolute error exceeds a threshold $$\rho$$, otherwise it is equal to L2. It is defined as:
// $$
// \begin{split}L = \sum_i \begin{cases} \frac{1}{2 {rho}} ({label}_i - {pred}_i)^2 &
//                    \text{ if } |{label}_i - {pred}_i| < {rho} \\
//                    |{label}_i - {pred}_i| - \frac{{rho}}{2} &
//                    \text{ otherwise }
//     \end{cases}\end{split}
// $$

// %% [11]
cell(11, () => {
  showRegressionLoss(new gloss.HuberLoss({ rho: 1 }));
});

// %% [markdown]
// An example of where Huber Loss is used can be found in [Deep Q Network](https://openai.com/blog/openai-baselines-dqn/).
//
// #### [Cross Entropy Loss with Sigmoid](https://mxnet.apache.org/api/python/gluon/loss.html#mxnet.gluon.loss.SigmoidBinaryCrossEntropyLoss)
//
// Binary Cross Entropy is a loss function used for binary classification problems e.g. classifying images into 2 classes. Cross entropy measures the difference between two probability distributions and it is defined as:
// $$\sum_i -{(y\log(p) + (1 - y)\log(1 - p))} $$
// Before the loss is computed a sigmoid activation is applied per default. If your network has `sigmoid` activation as last layer, then you need set ```from_sigmoid``` to False, to avoid applying the sigmoid function twice.

// %% [12]
cell(12, () => {
  showClassificationLoss(new gloss.SigmoidBinaryCrossEntropyLoss());
});

// %% [markdown]
// #### [Cross Entropy Loss with Softmax](https://mxnet.apache.org/api/python/gluon/loss.html#mxnet.gluon.loss.SoftmaxCrossEntropyLoss)
//
// In classification, we often apply the
// softmax operator to the predicted outputs to obtain prediction probabilities,
// and then apply the cross entropy loss against the true labels:
//
// $$ \begin{align}\begin{aligned}p = \softmax({pred})\\L = -\sum_i \sum_j {label}_j \log p_{ij}\end{aligned}\end{align}
// $$
//
// Running these two steps one-by-one, however, may lead to numerical instabilities. The `loss` module provides a single operators with softmax and cross entropy fused to avoid such problem.

// %% [13]
cell(13, () => {
  loss = new gloss.SoftmaxCrossEntropyLoss();
  x = nd.array([
    [1, 10],
    [8, 2],
  ]);
  y = nd.array([0, 1]);
  display(loss.forward(x, y));
});

// %% [markdown]
// #### [Hinge Loss](https://mxnet.apache.org/api/python/gluon/loss.html#mxnet.gluon.loss.HingeLoss)
//
// Commonly used in Support Vector Machines (SVMs), Hinge Loss is used to additionally penalize predictions that are correct but fall within a margin between classes (the region around a decision boundary). Unlike `SoftmaxCrossEntropyLoss`, it's rarely used for neural network training. It is defined as:
//
// $$
// L = \sum_i max(0, {margin} - {pred}_i \cdot {label}_i)
// $$

// %% [14]
cell(14, () => {
  showClassificationLoss(new gloss.HingeLoss());
});

// %% [markdown]
// #### [Logistic Loss](/api/python/docs/api/gluon/loss/index.html#mxnet.gluon.loss.LogisticLoss)
//
// The Logistic Loss function computes the performance of binary classification models.
// $$
// L = \sum_i \log(1 + \exp(- {pred}_i \cdot {label}_i))
// $$
// The log loss decreases the closer the prediction is to the actual label. It is sensitive to outliers, because incorrectly classified points are penalized more.

// %% [15]
cell(15, () => {
  showClassificationLoss(new gloss.LogisticLoss());
});

// %% [markdown]
// #### [Kullback-Leibler Divergence Loss](/api/python/docs/api/gluon/loss/index.html#mxnet.gluon.loss.KLDivLoss)
//
// The Kullback-Leibler divergence loss measures the divergence between two probability distributions by calculating the difference between cross entropy and entropy. It takes as input the probability of predicted label and the probability of true label.
//
// $$
// L = \sum_i {label}_i * \big[\log({label}_i) - {pred}_i\big]
// $$
//
// The loss is large, if the predicted probability distribution is far from the ground truth probability distribution. KL divergence is an asymmetric measure. KL divergence loss can be used in Variational Autoencoders (VAEs), and reinforcement learning policy networks such as Trust Region Policy Optimization (TRPO)
//
//
// For instance, in the following example we get a KL divergence of 0.02. We set ```from_logits=False```, so the loss functions will apply ```log_softmax``` on the network output, before computing the KL divergence.

// %% [16]
// The original is a plain code block that the docs build does not run; here it runs. Python
// reuses the name `loss` for the result; the twin calls it `divergence` to keep `loss` a Loss.
cell(16, () => {
  const output = nd.array([[0.39056206, 1.3068528, 0.39056206, -0.30258512]]);
  print('output.softmax():', output.softmax().toArray());
  const targetDist = nd.array([[0.3, 0.4, 0.1, 0.2]]);
  const lossFn = new gloss.KLDivLoss({ fromLogits: false });
  const divergence = lossFn.forward(output, targetDist);
  print('loss (kl divergence):', divergence.toArray());
});

// %% [markdown]
// #### [Triplet Loss](/api/python/docs/api/gluon/loss/index.html#mxnet.gluon.loss.TripletLoss)
//
// Triplet loss takes three input arrays and measures the relative similarity. It takes a positive and negative input and the anchor.
//
// $$
// L = \sum_i \max(\Vert {pos_i}_i - {pred} \Vert_2^2 -
//     \Vert {neg_i}_i - {pred} \Vert_2^2 + {margin}, 0)
// $$
//
// The loss function minimizes the distance between similar inputs and maximizes the distance  between dissimilar ones.
// In the case of learning embeddings for images of characters, the network may get as input the following 3 images:
//
// ![triplet_loss](triplet_loss.png)
//
// The network would learn to minimize the distance between the two `A`'s and maximize the distance between `A` and `Z`.
//
// #### [CTC Loss](/api/python/docs/api/gluon/loss/index.html#mxnet.gluon.loss.CTCLoss)
//
// CTC Loss is the [connectionist temporal classification loss](https://distill.pub/2017/ctc/) . It is used to train recurrent neural networks with variable time dimension. It learns the alignment and labelling of input sequences. It takes a sequence as input and gives probabilities for each timestep. For instance, in the following image the word is not well aligned with the 5 timesteps because of the different sizes of characters. CTC Loss finds for each timestep the highest probability e.g. `t1` presents with high probability a `C`. It combines the highest probapilities and returns the best path decoding. For an in-depth tutorial on how to use CTC-Loss in MXNet, check out this [example](https://github.com/apache/incubator-mxnet/tree/master/example/ctc).
//
// ![ctc_loss](ctc_loss.png)
//
// #### [Cosine Embedding Loss](/api/python/docs/api/gluon/loss/index.html#mxnet.gluon.loss.CosineEmbeddingLoss)
// The cosine embedding loss computes the cosine distance between two input vectors.
//
// $$
// \begin{split}L = \sum_i \begin{cases} 1 - {cos\_sim({input1}_i, {input2}_i)} & \text{ if } {label}_i = 1\\
//                  {cos\_sim({input1}_i, {input2}_i)} & \text{ if } {label}_i = -1 \end{cases}\\
// cos\_sim(input1, input2) = \frac{{input1}_i.{input2}_i}{||{input1}_i||.||{input2}_i||}\end{split}
// $$
//
// Cosine distance measures the similarity between two arrays given a label and is typically used for learning nonlinear embeddings.
// For instance, in the following code example we measure the similarity between the input vectors `x` and `y`. Since they are the same the label equals `1`. The loss function returns $$ \sum_i 1 - {cos\_sim({input1}_i, {input2}_i)} $$ which is equal `0`.

// %% [17]
cell(17, () => {
  x = nd.array([1, 0, 1, 0, 1, 0]);
  y = nd.array([1, 0, 1, 0, 1, 0]);
  const label = nd.array(1);
  loss = new gloss.CosineEmbeddingLoss();
  print(loss.forward(x, y, label));
});

// %% [markdown]
// Now let's make `y` the opposite of `x`, so we set the label `-1` and the function will return  $$ \sum_i cos\_sim(input1, input2) $$

// %% [18]
cell(18, () => {
  x = nd.array([1, 0, 1, 0, 1, 0]);
  y = nd.array([0, 1, 0, 1, 0, 1]);
  const label = nd.array(-1);
  loss = new gloss.CosineEmbeddingLoss();
  print(loss.forward(x, y, label));
});

// %% [markdown]
// #### [PoissonNLLLoss](/api/python/docs/api/gluon/loss/index.html#mxnet.gluon.loss.PoissonNLLLoss)
// Poisson distribution is widely used for modelling count data. It is defined as:
//
// $$
// f(x) = \frac{\mu ^ {\kern 0.08 em x} e ^ {-\mu}} {x!} \qquad \qquad x = 0,1,2 , \ldots \,.
// $$
//
//
// For instance, the count of cars in road traffic approximately follows a Poisson distribution. Using an ordinary least squares model for Poisson distributed data would not work well because of two reasons:
//  - count data cannot be negative
//  - variance may not be constant
//
// Instead we can use a Poisson regression model, also known as log-linear model. Thereby the Poisson incident rate $$\mu$$ is
// modelled by a linear combination of unknown parameters.
// We can then use the PoissonNLLLoss which calculates the negative log likelihood for a target that follows a Poisson distribution.
//
// $$ L = \text{pred} - \text{target} * \log(\text{pred}) +\log(\text{target!}) $$
//
// ## Advanced: Weighted Loss
//
// Some examples in a batch may be more important than others. We can apply weights to individual examples during the forward pass of the loss function using the `sample_weight` argument. All examples are weighted equally by default.

// %% [19]
cell(19, () => {
  x = nd.ones([2]);
  y = nd.ones([2]).mul(2);
  loss = new gloss.L2Loss();
  display(loss.forward(x, y, nd.array([1, 2])));
});

// %% [markdown]
// ## Conclusion
//
// In this tutorial we saw an example of how to evaluate model performance using loss functions (during the forward pass). Crucially, we then saw how calculate parameter gradients (using `backward`) which would minimise this loss. You should now have a better understanding of when to apply different loss functions, especially for regression vs classification tasks.
//
// ## Recommended Next Steps
//
// In addition to loss functions, which are used for explicit optimization, you might want to look at metrics that give useful evaluation feedback even if they're not explicitly optimized for in the same way as the loss. You might also want to learn more about the mechanics of the backpropagation stage in the autograd tutorial.
