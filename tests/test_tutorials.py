"""PyTorch's "Deep Learning for NLP with PyTorch" tutorials (the bag-of-words classifier and the LSTM tagger) run
with only their imports changed, from the same initial weights, and give torch 2.13's numbers (printed by the
same code under torch)."""
import numpy as np

import tinygradnb as torch
import tinygradnb.nn as nn
import tinygradnb.nn.functional as F
import tinygradnb.optim as optim


def _load(model, seed, scale):
    rng = np.random.default_rng(seed)
    with torch.no_grad():
        for _, p in sorted(model.named_parameters()):
            p.copy_(torch.tensor((rng.standard_normal(tuple(p.shape)) * scale).astype(np.float32)))


def test_bag_of_words_classifier_tutorial():
    data = [("me gusta comer en la cafeteria".split(), "SPANISH"), ("Give it to me".split(), "ENGLISH"),
            ("No creo que sea una buena idea".split(), "SPANISH"),
            ("No it is not a good idea to get lost at sea".split(), "ENGLISH")]
    test_data = [("Yo creo que si".split(), "SPANISH"), ("it is lost on me".split(), "ENGLISH")]
    word_to_ix = {}
    for sent, _ in data + test_data:
        for word in sent:
            if word not in word_to_ix:
                word_to_ix[word] = len(word_to_ix)

    class BoWClassifier(nn.Module):
        def __init__(self, num_labels, vocab_size):
            super(BoWClassifier, self).__init__()
            self.linear = nn.Linear(vocab_size, num_labels)

        def forward(self, bow_vec):
            return F.log_softmax(self.linear(bow_vec), dim=1)

    def make_bow_vector(sentence, word_to_ix):
        vec = torch.zeros(len(word_to_ix))
        for word in sentence:
            vec[word_to_ix[word]] += 1
        return vec.view(1, -1)

    def make_target(label, label_to_ix):
        return torch.LongTensor([label_to_ix[label]])

    model = BoWClassifier(2, len(word_to_ix))
    rng = np.random.default_rng(0)
    with torch.no_grad():
        model.linear.weight.copy_(torch.tensor(rng.standard_normal((2, len(word_to_ix))).astype(np.float32)))
        model.linear.bias.copy_(torch.tensor(rng.standard_normal(2).astype(np.float32)))
    label_to_ix = {"SPANISH": 0, "ENGLISH": 1}
    loss_function = nn.NLLLoss()
    optimizer = optim.SGD(model.parameters(), lr=0.1)
    for epoch in range(100):
        for instance, label in data:
            model.zero_grad()
            log_probs = model(make_bow_vector(instance, word_to_ix))
            loss = loss_function(log_probs, make_target(label, label_to_ix))
            loss.backward()
            optimizer.step()
    with torch.no_grad():
        got = [model(make_bow_vector(s, word_to_ix)).tolist()[0] for s, _ in test_data]
    np.testing.assert_allclose(got, [[-0.02598, -3.66339], [-2.73405, -0.06716]], atol=2e-5)   # torch 2.13
    np.testing.assert_allclose(next(model.parameters())[:, word_to_ix["creo"]].tolist(),
                               [0.3284003734588623, -1.6055035591125488], rtol=1e-5)


def test_lstm_tagger_tutorial():
    def prepare_sequence(seq, to_ix):
        return torch.tensor([to_ix[w] for w in seq], dtype=torch.long)

    training_data = [("The dog ate the apple".split(), ["DET", "NN", "V", "DET", "NN"]),
                     ("Everybody read that book".split(), ["NN", "V", "DET", "NN"])]
    word_to_ix = {}
    for sent, tags in training_data:
        for word in sent:
            if word not in word_to_ix:
                word_to_ix[word] = len(word_to_ix)
    tag_to_ix = {"DET": 0, "NN": 1, "V": 2}

    class LSTMTagger(nn.Module):
        def __init__(self, embedding_dim, hidden_dim, vocab_size, tagset_size):
            super(LSTMTagger, self).__init__()
            self.hidden_dim = hidden_dim
            self.word_embeddings = nn.Embedding(vocab_size, embedding_dim)
            self.lstm = nn.LSTM(embedding_dim, hidden_dim)
            self.hidden2tag = nn.Linear(hidden_dim, tagset_size)

        def forward(self, sentence):
            embeds = self.word_embeddings(sentence)
            lstm_out, _ = self.lstm(embeds.view(len(sentence), 1, -1))
            tag_space = self.hidden2tag(lstm_out.view(len(sentence), -1))
            return F.log_softmax(tag_space, dim=1)

    model = LSTMTagger(6, 6, len(word_to_ix), len(tag_to_ix))
    _load(model, 0, 0.3)
    loss_function = nn.NLLLoss()
    optimizer = optim.SGD(model.parameters(), lr=0.1)
    for epoch in range(300):
        for sentence, tags in training_data:
            model.zero_grad()
            loss = loss_function(model(prepare_sequence(sentence, word_to_ix)), prepare_sequence(tags, tag_to_ix))
            loss.backward()
            optimizer.step()
    with torch.no_grad():
        tag_scores = model(prepare_sequence(training_data[0][0], word_to_ix))
    want = [[-0.0353, -4.2026, -3.9238], [-5.012, -0.0283, -3.8501], [-3.2433, -3.5758, -0.0694],
            [-0.0336, -4.588, -3.779], [-4.6049, -0.0187, -4.7655]]                             # torch 2.13
    np.testing.assert_allclose(tag_scores.numpy(), want, atol=1e-4)
    assert tag_scores.argmax(dim=1).tolist() == [0, 1, 2, 0, 1]
    assert abs(float(loss) - 0.031304746866226196) < 1e-5
