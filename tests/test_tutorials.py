"""PyTorch's NLP tutorials (bag-of-words classifier, N-gram language model, LSTM tagger, char-RNN name classifier,
BiLSTM-CRF) run with only their imports changed, from the same initial weights, and give torch 2.13's numbers (printed
by the same code under torch)."""
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


def test_ngram_language_model_tutorial():
    context_size, embedding_dim = 2, 10
    test_sentence = """When forty winters shall besiege thy brow,
And dig deep trenches in thy beauty's field,
Thy youth's proud livery so gazed on now,
Will be a totter'd weed of small worth held:""".split()
    ngrams = [([test_sentence[i - j - 1] for j in range(context_size)], test_sentence[i])
              for i in range(context_size, len(test_sentence))]
    word_to_ix = {word: i for i, word in enumerate(sorted(set(test_sentence)))}

    class NGramLanguageModeler(nn.Module):
        def __init__(self, vocab_size, embedding_dim, context_size):
            super(NGramLanguageModeler, self).__init__()
            self.embeddings = nn.Embedding(vocab_size, embedding_dim)
            self.linear1 = nn.Linear(context_size * embedding_dim, 128)
            self.linear2 = nn.Linear(128, vocab_size)

        def forward(self, inputs):
            embeds = self.embeddings(inputs).view((1, -1))
            out = F.relu(self.linear1(embeds))
            return F.log_softmax(self.linear2(out), dim=1)

    loss_function = nn.NLLLoss()
    model = NGramLanguageModeler(len(word_to_ix), embedding_dim, context_size)
    _load(model, 0, 0.1)
    optimizer = optim.SGD(model.parameters(), lr=0.001)
    losses = []
    for epoch in range(10):
        total_loss = 0
        for context, target in ngrams:
            context_idxs = torch.tensor([word_to_ix[w] for w in context], dtype=torch.long)
            model.zero_grad()
            loss = loss_function(model(context_idxs), torch.tensor([word_to_ix[target]], dtype=torch.long))
            loss.backward()
            optimizer.step()
            total_loss += loss.item()
        losses.append(total_loss)
    np.testing.assert_allclose(losses, [103.2183, 103.1981, 103.1778, 103.1577, 103.1376, 103.1175, 103.0975,
                                        103.0776, 103.0578, 103.0381], atol=2e-4)                 # torch 2.13
    np.testing.assert_allclose(model.embeddings.weight[word_to_ix["beauty's"]].tolist()[:3],
                               [-0.04562574625015259, -0.11558342725038528, 0.173293799161911], rtol=1e-5)


def test_char_rnn_classification_tutorial():
    all_letters = "abcdefghijklmnopqrstuvwxyz"

    def line_to_tensor(line):
        tensor = torch.zeros(len(line), 1, len(all_letters))
        for li, letter in enumerate(line):
            tensor[li][0][all_letters.find(letter)] = 1
        return tensor

    class RNN(nn.Module):
        def __init__(self, input_size, hidden_size, output_size):
            super(RNN, self).__init__()
            self.hidden_size = hidden_size
            self.i2h = nn.Linear(input_size + hidden_size, hidden_size)
            self.i2o = nn.Linear(input_size + hidden_size, output_size)
            self.softmax = nn.LogSoftmax(dim=1)

        def forward(self, input, hidden):
            combined = torch.cat((input, hidden), 1)
            return self.softmax(self.i2o(combined)), self.i2h(combined)

        def initHidden(self):
            return torch.zeros(1, self.hidden_size)

    rnn = RNN(len(all_letters), 16, 3)
    _load(rnn, 0, 0.2)
    criterion = nn.NLLLoss()

    def train(category_tensor, line_tensor):
        hidden = rnn.initHidden()
        rnn.zero_grad()
        for i in range(line_tensor.size()[0]):
            output, hidden = rnn(line_tensor[i], hidden)
        loss = criterion(output, category_tensor)
        loss.backward()
        for p in rnn.parameters():                     # the tutorial's manual SGD through .data
            p.data.add_(p.grad.data, alpha=-0.005)
        return output, loss.item()

    names = [("ivanov", 0), ("smith", 1), ("rossi", 2), ("petrov", 0), ("jones", 1), ("bianchi", 2)]
    losses = []
    for it in range(60):
        name, cat = names[it % len(names)]
        output, loss = train(torch.tensor([cat], dtype=torch.long), line_to_tensor(name))
        losses.append(loss)
    np.testing.assert_allclose(losses[-6:], [0.67613, 1.29579, 1.11154, 0.76242, 1.20217, 1.06811],
                               atol=2e-5)                                                          # torch 2.13
    top_n, top_i = output.topk(1)
    assert top_i[0].item() == 1 and abs(float(top_n[0][0]) - (-0.86942)) < 2e-5


def test_bilstm_crf_tutorial():
    START_TAG, STOP_TAG = "<START>", "<STOP>"
    EMBEDDING_DIM, HIDDEN_DIM = 5, 4
    hidden_rng = np.random.default_rng(1)

    def randn(*size):                                  # torch.randn's stream, shared by both engines
        return torch.tensor(hidden_rng.standard_normal(size).astype(np.float32))

    def argmax(vec):
        _, idx = torch.max(vec, 1)
        return idx.item()

    def prepare_sequence(seq, to_ix):
        idxs = [to_ix[w] for w in seq]
        return torch.tensor(idxs, dtype=torch.long)

    def log_sum_exp(vec):
        max_score = vec[0, argmax(vec)]
        max_score_broadcast = max_score.view(1, -1).expand(1, vec.size()[1])
        return max_score + torch.log(torch.sum(torch.exp(vec - max_score_broadcast)))

    class BiLSTM_CRF(nn.Module):
        def __init__(self, vocab_size, tag_to_ix, embedding_dim, hidden_dim):
            super(BiLSTM_CRF, self).__init__()
            self.embedding_dim = embedding_dim
            self.hidden_dim = hidden_dim
            self.vocab_size = vocab_size
            self.tag_to_ix = tag_to_ix
            self.tagset_size = len(tag_to_ix)
            self.word_embeds = nn.Embedding(vocab_size, embedding_dim)
            self.lstm = nn.LSTM(embedding_dim, hidden_dim // 2, num_layers=1, bidirectional=True)
            self.hidden2tag = nn.Linear(hidden_dim, self.tagset_size)
            self.transitions = nn.Parameter(torch.randn(self.tagset_size, self.tagset_size))
            self.transitions.data[tag_to_ix[START_TAG], :] = -10000
            self.transitions.data[:, tag_to_ix[STOP_TAG]] = -10000
            self.hidden = self.init_hidden()

        def init_hidden(self):
            return (randn(2, 1, self.hidden_dim // 2), randn(2, 1, self.hidden_dim // 2))

        def _forward_alg(self, feats):
            init_alphas = torch.full((1, self.tagset_size), -10000.)
            init_alphas[0][self.tag_to_ix[START_TAG]] = 0.
            forward_var = init_alphas
            for feat in feats:
                alphas_t = []
                for next_tag in range(self.tagset_size):
                    emit_score = feat[next_tag].view(1, -1).expand(1, self.tagset_size)
                    trans_score = self.transitions[next_tag].view(1, -1)
                    next_tag_var = forward_var + trans_score + emit_score
                    alphas_t.append(log_sum_exp(next_tag_var).view(1))
                forward_var = torch.cat(alphas_t).view(1, -1)
            terminal_var = forward_var + self.transitions[self.tag_to_ix[STOP_TAG]]
            alpha = log_sum_exp(terminal_var)
            return alpha

        def _get_lstm_features(self, sentence):
            self.hidden = self.init_hidden()
            embeds = self.word_embeds(sentence).view(len(sentence), 1, -1)
            lstm_out, self.hidden = self.lstm(embeds, self.hidden)
            lstm_out = lstm_out.view(len(sentence), self.hidden_dim)
            lstm_feats = self.hidden2tag(lstm_out)
            return lstm_feats

        def _score_sentence(self, feats, tags):
            score = torch.zeros(1)
            tags = torch.cat([torch.tensor([self.tag_to_ix[START_TAG]], dtype=torch.long), tags])
            for i, feat in enumerate(feats):
                score = score + self.transitions[tags[i + 1], tags[i]] + feat[tags[i + 1]]
            score = score + self.transitions[self.tag_to_ix[STOP_TAG], tags[-1]]
            return score

        def _viterbi_decode(self, feats):
            backpointers = []
            init_vvars = torch.full((1, self.tagset_size), -10000.)
            init_vvars[0][self.tag_to_ix[START_TAG]] = 0
            forward_var = init_vvars
            for feat in feats:
                bptrs_t = []
                viterbivars_t = []
                for next_tag in range(self.tagset_size):
                    next_tag_var = forward_var + self.transitions[next_tag]
                    best_tag_id = argmax(next_tag_var)
                    bptrs_t.append(best_tag_id)
                    viterbivars_t.append(next_tag_var[0][best_tag_id].view(1))
                forward_var = (torch.cat(viterbivars_t) + feat).view(1, -1)
                backpointers.append(bptrs_t)
            terminal_var = forward_var + self.transitions[self.tag_to_ix[STOP_TAG]]
            best_tag_id = argmax(terminal_var)
            path_score = terminal_var[0][best_tag_id]
            best_path = [best_tag_id]
            for bptrs_t in reversed(backpointers):
                best_tag_id = bptrs_t[best_tag_id]
                best_path.append(best_tag_id)
            start = best_path.pop()
            assert start == self.tag_to_ix[START_TAG]
            best_path.reverse()
            return path_score, best_path

        def neg_log_likelihood(self, sentence, tags):
            feats = self._get_lstm_features(sentence)
            forward_score = self._forward_alg(feats)
            gold_score = self._score_sentence(feats, tags)
            return forward_score - gold_score

        def forward(self, sentence):
            lstm_feats = self._get_lstm_features(sentence)
            score, tag_seq = self._viterbi_decode(lstm_feats)
            return score, tag_seq

    training_data = [("the wall street journal reported today that apple corporation made money".split(),
                      "B I I I O O O B I O O".split()),
                     ("georgia tech is a university in georgia".split(), "B I O O O O B".split())]
    word_to_ix = {}
    for sentence, tags in training_data:
        for word in sentence:
            if word not in word_to_ix:
                word_to_ix[word] = len(word_to_ix)
    tag_to_ix = {"B": 0, "I": 1, "O": 2, START_TAG: 3, STOP_TAG: 4}

    model = BiLSTM_CRF(len(word_to_ix), tag_to_ix, EMBEDDING_DIM, HIDDEN_DIM)
    _load(model, 0, 0.5)
    model.transitions.data[tag_to_ix[START_TAG], :] = -10000      # the constraints again, over _load's weights
    model.transitions.data[:, tag_to_ix[STOP_TAG]] = -10000
    optimizer = optim.SGD(model.parameters(), lr=0.01, weight_decay=1e-4)
    with torch.no_grad():
        precheck_sent = prepare_sequence(training_data[0][0], word_to_ix)
        before = model(precheck_sent)
    losses = []
    for epoch in range(5):
        for sentence, tags in training_data:
            model.zero_grad()
            sentence_in = prepare_sequence(sentence, word_to_ix)
            targets = torch.tensor([tag_to_ix[t] for t in tags], dtype=torch.long)
            loss = model.neg_log_likelihood(sentence_in, targets)
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
    with torch.no_grad():
        precheck_sent = prepare_sequence(training_data[0][0], word_to_ix)
        after = model(precheck_sent)
    assert before[1] == [1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0]                                          # torch 2.13
    assert abs(before[0].item() - 7.109036922454834) < 1e-4
    np.testing.assert_allclose(losses, [14.34744930267334, 8.03426742553711, 12.662946701049805, 7.7500104904174805,
                                        12.397184371948242, 7.380036354064941, 11.32823371887207, 7.476402282714844,
                                        10.927334785461426, 6.8787055015563965], atol=1e-4)
    assert after[1] == [1, 0, 1, 0, 1, 2, 2, 2, 2, 2, 2]
    assert abs(after[0].item() - 6.094849109649658) < 1e-4
    np.testing.assert_allclose(model.transitions[0].tolist(), [0.3543854057788849, 0.42228853702545166,
                                                               0.03775050491094589, 0.5278815031051636,
                                                               -9999.90234375], atol=1e-4)
