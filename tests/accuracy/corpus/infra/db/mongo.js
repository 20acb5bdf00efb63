const uri = 'mongodb+srv://app:yAfqcR8032ZGe6Nl@cluster0.ab1cd.mongodb.net/shop?retryWrites=true&w=majority';
